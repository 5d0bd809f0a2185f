package io.ketch.mvcc;

/**
 * A consistent view of the key space: every read through one view sees the same revision
 * (a read transaction), or the state of a write transaction including its own writes.
 */
public interface KvView {

    /** The revision the view reads at by default (the header revision of its answers). */
    long revision();

    /** The compacted revision (etcd's FirstRev): reads below it fail with COMPACTED. */
    long compactRevision();

    /**
     * The keys in [key, end) alive at {@code atRev}.
     *
     * @param end       empty or null: the single key; {@code "\0"}: every key >= key;
     *                  otherwise the exclusive end
     * @param atRev     the revision to read at; 0 (or negative) = {@link #revision()}
     * @param limit     the maximum number of kvs returned; 0 (or negative) = no limit
     * @param countOnly return no kvs, only the count
     * @throws io.ketch.errors.EtcdException FUTURE_REV if atRev > revision(); COMPACTED if
     *         atRev < compactRevision() (a read at exactly the compacted revision succeeds, as
     *         in etcd)
     */
    RangeResult range(byte[] key, byte[] end, long atRev, long limit, boolean countOnly);
}
