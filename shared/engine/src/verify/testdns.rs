//! A tiny authoritative DNS server on loopback for MX tests: UDP and TCP on one port of
//! 127.0.0.1, answering from a fixed zone table, counting every query. Only loopback is ever a
//! network target. Answers stay far below 512 bytes, so UDP suffices; TCP is there in case the
//! resolver falls back to it.
//!
//! Public behind the `testing` feature so other crates' tests (a live job verifying the emails of
//! a fixture site) point an [`super::EmailVerifier`] at it instead of ever asking real DNS:
//! `DnsConfig::Servers(vec![server.addr])`.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use hickory_resolver::proto::op::{Message, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, AAAA, MX};
use hickory_resolver::proto::rr::{Name, RData, Record};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

/// The record types [`TestDns::queries_for`] counts, so callers need no hickory dependency.
pub use hickory_resolver::proto::rr::RecordType;

/// One record of the zone. TTLs are 0, so the resolver's own cache never answers for the server.
#[derive(Clone, Debug)]
pub enum Rec {
    /// An MX record: preference and exchange (`"."` for a null MX).
    Mx(u16, &'static str),
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// Some other record (a TXT, say): the name exists, with nothing of the types asked here.
    Other,
}

/// The zone: names (lowercase, no trailing dot) with their records. A name that has no entry
/// gets NXDOMAIN; a name that has entries, but none of the asked type, gets an empty NOERROR.
#[derive(Clone, Debug, Default)]
pub struct Zone {
    records: Vec<(String, Rec)>,
    servfail: Vec<String>,
}

impl Zone {
    pub fn with(mut self, name: &str, rec: Rec) -> Self {
        self.records.push((name.to_string(), rec));
        self
    }

    /// Every query for `name` gets SERVFAIL.
    pub fn servfail(mut self, name: &str) -> Self {
        self.servfail.push(name.to_string());
        self
    }

    fn answer(&self, request: &Message) -> Message {
        let mut response = Message::response(request.metadata.id, request.metadata.op_code);
        response.metadata.authoritative = true;
        response.metadata.recursion_desired = request.metadata.recursion_desired;
        response.metadata.recursion_available = true;
        let Some(query) = request.queries.first() else {
            response.metadata.response_code = ResponseCode::FormErr;
            return response;
        };
        response.add_query(query.clone());
        let qname = query.name().to_ascii().trim_end_matches('.').to_ascii_lowercase();
        if self.servfail.contains(&qname) {
            response.metadata.response_code = ResponseCode::ServFail;
            return response;
        }
        let at_name: Vec<&Rec> = self.records.iter().filter(|(n, _)| *n == qname).map(|(_, r)| r).collect();
        if at_name.is_empty() {
            response.metadata.response_code = ResponseCode::NXDomain;
            return response;
        }
        for rec in at_name {
            let rdata = match (rec, query.query_type()) {
                (Rec::Mx(pref, host), RecordType::MX) => {
                    let exchange = if *host == "." { Name::root() } else { Name::from_ascii(format!("{host}.")).expect("valid host") };
                    RData::MX(MX::new(*pref, exchange))
                }
                (Rec::A(ip), RecordType::A) => RData::A(A::from(*ip)),
                (Rec::Aaaa(ip), RecordType::AAAA) => RData::AAAA(AAAA::from(*ip)),
                _ => continue,
            };
            response.add_answer(Record::from_rdata(query.name().clone(), 0, rdata));
        }
        response
    }
}

/// A running server. Dropping it stops it.
pub struct TestDns {
    /// Where it listens (UDP and TCP).
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<(String, RecordType)>>>,
    tasks: Vec<JoinHandle<()>>,
}

impl TestDns {
    /// Serves `zone`.
    pub async fn start(zone: Zone) -> Self {
        Self::spawn(Some(Arc::new(zone))).await
    }

    /// Receives and counts queries but never answers: every look-up times out.
    pub async fn silent() -> Self {
        Self::spawn(None).await
    }

    /// How many queries arrived so far.
    pub fn queries(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// How many queries of `record_type` for `name` arrived so far.
    pub fn queries_for(&self, name: &str, record_type: RecordType) -> usize {
        self.log.lock().unwrap().iter().filter(|(n, t)| n == name && *t == record_type).count()
    }

    async fn spawn(zone: Option<Arc<Zone>>) -> Self {
        let (udp, tcp) = bind_pair().await;
        let addr = udp.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let udp_task = {
            let (zone, log) = (zone.clone(), log.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                loop {
                    let Ok((len, peer)) = udp.recv_from(&mut buf).await else { return };
                    if let Some(reply) = handle(zone.as_deref(), &log, &buf[..len]) {
                        let _ = udp.send_to(&reply, peer).await;
                    }
                }
            })
        };
        let tcp_task = {
            let (zone, log) = (zone.clone(), log.clone());
            tokio::spawn(async move {
                let mut held = Vec::new();
                loop {
                    let Ok((stream, _)) = tcp.accept().await else { return };
                    match &zone {
                        Some(zone) => {
                            tokio::spawn(serve_tcp(stream, zone.clone(), log.clone()));
                        }
                        // The silent server keeps connections open and says nothing.
                        None => held.push(stream),
                    }
                }
            })
        };
        Self { addr, log, tasks: vec![udp_task, tcp_task] }
    }
}

impl Drop for TestDns {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A UDP socket and a TCP listener on the same free port of 127.0.0.1.
async fn bind_pair() -> (UdpSocket, TcpListener) {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = udp.local_addr().unwrap().port();
        if let Ok(tcp) = TcpListener::bind(("127.0.0.1", port)).await {
            return (udp, tcp);
        }
    }
    panic!("no free port for UDP and TCP on 127.0.0.1");
}

/// Logs the query in `packet` and, with a zone, returns the encoded answer.
fn handle(zone: Option<&Zone>, log: &Mutex<Vec<(String, RecordType)>>, packet: &[u8]) -> Option<Vec<u8>> {
    let request = Message::from_vec(packet).ok()?;
    if let Some(query) = request.queries.first() {
        let name = query.name().to_ascii().trim_end_matches('.').to_ascii_lowercase();
        log.lock().unwrap().push((name, query.query_type()));
    }
    zone.map(|zone| zone.answer(&request).to_vec().expect("encodable answer"))
}

async fn serve_tcp(mut stream: TcpStream, zone: Arc<Zone>, log: Arc<Mutex<Vec<(String, RecordType)>>>) {
    loop {
        let Ok(len) = stream.read_u16().await else { return };
        let mut packet = vec![0u8; usize::from(len)];
        if stream.read_exact(&mut packet).await.is_err() {
            return;
        }
        let Some(reply) = handle(Some(&zone), &log, &packet) else { return };
        let Ok(reply_len) = u16::try_from(reply.len()) else { return };
        if stream.write_u16(reply_len).await.is_err() || stream.write_all(&reply).await.is_err() {
            return;
        }
    }
}
