"""Runs moto's server (the AWS emulator of the test suites) with two fixes for long runs.

moto backs up a DynamoDB table before every transaction, so that it can roll a failed one back,
by deep-copying the table once per *operation* of the transaction; and it keeps a reference to
every model object it ever creates (for its `/moto-api/data.json` dashboard), those copies
included. A table of a few thousand items written by transactions of three or four operations
then holds tens of gigabytes by the end of a test run. Here:

- the backup is made once per table per transaction, which is all the rollback needs (the copies
  are taken before any operation runs, so they are identical);
- DynamoDB's model objects are not tracked for the dashboard, so a discarded backup is freed;
- DynamoDB writes are serialized. A transaction that fails rolls back by putting its backup of
  the table in place, so a write served by another request thread meanwhile would be lost (a
  real table never does that); one lock around every write and transaction rules it out.

Used by `infra/test.sh` and `tests/src/moto.rs` as `python infra/moto_server.py <moto_server args>`.
"""

import copy
import sys
import threading

import moto.dynamodb.models as dynamodb
from moto.core.common_models import BaseModel

_backups = threading.local()


class _OneBackupPerTable:
    """Stands in for the `copy` module inside moto's DynamoDB models."""

    def __getattr__(self, name):
        return getattr(copy, name)

    def deepcopy(self, obj, *args, **kwargs):
        memo = getattr(_backups, "tables", None)
        if memo is None or not isinstance(obj, dynamodb.Table):
            return copy.deepcopy(obj, *args, **kwargs)
        if id(obj) not in memo:
            memo[id(obj)] = copy.deepcopy(obj, *args, **kwargs)
        return memo[id(obj)]


_transact_write_items = dynamodb.DynamoDBBackend.transact_write_items


def _transact_once(self, transact_items):
    _backups.tables = {}
    try:
        return _transact_write_items(self, transact_items)
    finally:
        _backups.tables = None


_writes = threading.RLock()


def _serialized(method):
    def write(self, *args, **kwargs):
        with _writes:
            return method(self, *args, **kwargs)

    return write


def _new_untracked_in_dynamodb(cls, *args, **kwargs):
    instance = object.__new__(cls)
    if not cls.__module__.startswith("moto.dynamodb"):
        cls.instances_tracked.append(instance)
    return instance


dynamodb.copy = _OneBackupPerTable()
dynamodb.DynamoDBBackend.transact_write_items = _transact_once
for _name in ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items"):
    setattr(dynamodb.DynamoDBBackend, _name, _serialized(getattr(dynamodb.DynamoDBBackend, _name)))
BaseModel.__new__ = _new_untracked_in_dynamodb

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
