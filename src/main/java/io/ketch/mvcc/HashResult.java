package io.ketch.mvcc;

/**
 * etcd's HashKV answer.
 *
 * @param hash             CRC-32C of the key bucket up to {@code hashRevision} (uint32 bits)
 * @param compactRevision  the compacted revision in effect (-1 if never compacted)
 * @param hashRevision     the revision the hash covers
 * @param currentRevision  the store's current revision when hashing began
 */
public record HashResult(int hash, long compactRevision, long hashRevision, long currentRevision) {

    /** The hash as an unsigned value. */
    public long hashUnsigned() {
        return Integer.toUnsignedLong(hash);
    }
}
