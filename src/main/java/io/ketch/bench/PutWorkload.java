package io.ketch.bench;

import com.google.protobuf.ByteString;
import io.ketch.pb.etcdserver.PutRequest;
import java.util.Random;

/** {@code ketch bench put}: one Put of a key-size key and a val-size value per request. */
final class PutWorkload implements Workload {
    private final KeyPicker keys;
    private final ByteString value;

    PutWorkload(KeyPicker keys, ByteString value) {
        this.keys = keys;
        this.value = value;
    }

    /**
     * Without {@code --key-space}, request n writes key n (a fresh key per request, as etcd's
     * put benchmark with sequential keys); with it, keys are random within that many.
     */
    static PutWorkload from(BenchOptions o) {
        KeyPicker keys = o.keySpace().isPresent()
                ? KeyPicker.random(o.keySize(), o.keySpace().getAsLong())
                : KeyPicker.sequential(o.keySize(), o.timed() ? KeyPicker.capacity(o.keySize()) : o.total());
        return new PutWorkload(keys, randomValue(o.valSize()));
    }

    /** Random bytes, fixed per run, so that nothing along the way can compress them away. */
    static ByteString randomValue(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return ByteString.copyFrom(bytes);
    }

    @Override
    public String title() {
        return "put";
    }

    @Override
    public String details() {
        return keys.describe();
    }

    @Override
    public Client newClient(Connection conn) {
        return (seq, done) -> conn.kv().put(
                PutRequest.newBuilder().setKey(keys.key(seq)).setValue(value).build(),
                UnaryObserver.of(done));
    }
}
