package io.ketch.snap;

import java.util.Arrays;
import java.util.Objects;

/**
 * One key-value pair of the state machine. Arrays are not copied; do not mutate them after handing them over.
 *
 * @param namespace which map of the backend the pair belongs to (opaque here)
 */
public record SnapshotRecord(byte namespace, byte[] key, byte[] value) {
    public SnapshotRecord {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SnapshotRecord r
                && namespace == r.namespace && Arrays.equals(key, r.key) && Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
        return (namespace * 31 + Arrays.hashCode(key)) * 31 + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "SnapshotRecord[namespace=" + namespace + ", key=" + key.length + " bytes, value=" + value.length + " bytes]";
    }
}
