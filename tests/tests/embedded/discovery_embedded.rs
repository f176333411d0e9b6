//! Live discovery from open data on the embedded store, against loopback stand-ins.

use quarry_tests::server::Backend;

quarry_tests::discovery_suite!(fixture = Backend::Embedded);
