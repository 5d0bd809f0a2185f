package io.ketch.mvcc;

import java.util.List;

import io.ketch.pb.mvcc.KeyValue;

/**
 * The outcome of a delete-range inside a write transaction.
 *
 * @param deleted the number of keys deleted
 * @param prevKvs the deleted key-values as they were just before (empty unless requested)
 * @param rev     the revision etcd reports for the delete: the txn's new revision if the txn
 *                has changed something so far, else the unchanged current revision
 */
public record DeleteResult(long deleted, List<KeyValue> prevKvs, long rev) {}
