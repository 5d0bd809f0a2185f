package io.ketch.watch;

import com.google.protobuf.ByteString;
import java.util.Comparator;

/**
 * The keys a watcher watches, as etcd's watch stream takes them: a single key ({@code end}
 * null), every key from {@code key} on ({@code end} empty), or the half-open interval
 * [{@code key}, {@code end}). Keys compare as unsigned bytes.
 */
public record KeyRange(ByteString key, ByteString end) {
    static final Comparator<ByteString> BYTES = ByteString.unsignedLexicographicalComparator();
    private static final ByteString ZERO = ByteString.copyFrom(new byte[] {0});

    /**
     * etcd's normalization of a WatchCreateRequest (v3rpc recvLoop): an empty key means "\0"
     * (the smallest key), an empty range_end means a single key, and a range_end of "\0"
     * means every key from key on.
     */
    public static KeyRange fromRequest(ByteString key, ByteString rangeEnd) {
        ByteString k = key.isEmpty() ? ZERO : key;
        if (rangeEnd.isEmpty()) {
            return new KeyRange(k, null);
        }
        if (rangeEnd.equals(ZERO)) {
            return new KeyRange(k, ByteString.EMPTY);
        }
        return new KeyRange(k, rangeEnd);
    }

    public static KeyRange single(ByteString key) {
        return new KeyRange(key, null);
    }

    public static KeyRange prefix(ByteString prefix) {
        return new KeyRange(prefix, prefixEnd(prefix));
    }

    /** etcd's GetPrefixRangeEnd: the prefix with its last byte below 0xff incremented; "\0" (all keys) if none. */
    static ByteString prefixEnd(ByteString prefix) {
        byte[] b = prefix.toByteArray();
        for (int i = b.length - 1; i >= 0; i--) {
            if ((b[i] & 0xff) < 0xff) {
                b[i]++;
                return ByteString.copyFrom(b, 0, i + 1);
            }
        }
        return ByteString.EMPTY;
    }

    public boolean isSingleKey() {
        return end == null;
    }

    /** etcd's ErrEmptyWatcherRange condition: a range end at or below the key. */
    public boolean isEmpty() {
        return end != null && !end.isEmpty() && BYTES.compare(key, end) >= 0;
    }

    public boolean contains(ByteString k) {
        if (end == null) {
            return key.equals(k);
        }
        if (BYTES.compare(k, key) < 0) {
            return false;
        }
        return end.isEmpty() || BYTES.compare(k, end) < 0;
    }
}
