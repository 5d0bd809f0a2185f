package io.ketch.bench;

import com.google.protobuf.ByteString;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Chooses the key of each request within a key space: sequentially (request n uses key n,
 * wrapping at the end of the space) or uniformly at random. A key is its index as a
 * zero-padded decimal number exactly key-size bytes long, e.g. {@code 00000042}, so that
 * {@code etcdctl get} shows benchmark keys readably and a key's size is what was asked for.
 */
public final class KeyPicker {
    private final int keySize;
    private final long space;
    private final boolean random;

    private KeyPicker(int keySize, long space, boolean random) {
        if (keySize < 1 || space < 1) {
            throw new IllegalArgumentException("key size and key space must be positive");
        }
        // Indexes beyond what key-size digits can show would need longer keys: wrap instead.
        this.keySize = keySize;
        this.space = Math.min(space, capacity(keySize));
        this.random = random;
    }

    public static KeyPicker sequential(int keySize, long space) {
        return new KeyPicker(keySize, space, false);
    }

    public static KeyPicker random(int keySize, long space) {
        return new KeyPicker(keySize, space, true);
    }

    /** How many distinct keys of this size exist: 10^keySize, saturating at Long.MAX_VALUE. */
    public static long capacity(int keySize) {
        long c = 1;
        for (int i = 0; i < keySize; i++) {
            if (c > Long.MAX_VALUE / 10) {
                return Long.MAX_VALUE;
            }
            c *= 10;
        }
        return c;
    }

    public long space() {
        return space;
    }

    /** The key index for request number {@code seq}. */
    public long index(long seq) {
        if (random) {
            return space == 1 ? 0 : ThreadLocalRandom.current().nextLong(space);
        }
        return Math.floorMod(seq, space);
    }

    public ByteString key(long seq) {
        return format(index(seq), keySize);
    }

    /** The key with the given index: its decimal digits, left-padded with '0' to keySize bytes. */
    public static ByteString format(long index, int keySize) {
        byte[] key = new byte[keySize];
        long rest = index;
        for (int i = keySize - 1; i >= 0; i--) {
            key[i] = (byte) ('0' + rest % 10);
            rest /= 10;
        }
        if (rest != 0) {
            throw new IllegalArgumentException("key index " + index + " needs more than " + keySize + " bytes");
        }
        return ByteString.copyFrom(key);
    }

    /** For the summary header, e.g. "10000 sequential keys" or "1 key". */
    public String describe() {
        if (space == 1) {
            return "1 key";
        }
        return space + (random ? " random keys" : " sequential keys");
    }
}
