package io.ketch.mvcc;

import java.util.List;

import io.ketch.pb.mvcc.KeyValue;

/**
 * The answer to a range read, as etcd's mvcc.RangeResult.
 *
 * @param kvs   the matching key-values in key order, at most the requested limit (empty for
 *              a count-only read)
 * @param count the total number of matching keys, regardless of the limit
 * @param rev   the store revision of the view that served the read (etcd's header revision:
 *              the current revision, also for a read at a past revision)
 */
public record RangeResult(List<KeyValue> kvs, long count, long rev) {}
