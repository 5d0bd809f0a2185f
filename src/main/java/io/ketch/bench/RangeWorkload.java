package io.ketch.bench;

import com.google.protobuf.ByteString;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.RangeResponse;

/**
 * {@code ketch bench range}: a Range of one key per request, linearizable (etcd's default,
 * which costs the server a ReadIndex round) or serializable (a local read). The keys are
 * written first, so every read finds its key; a read that does not is counted as an error.
 */
final class RangeWorkload implements Workload {
    private final int keySize;
    private final long keySpace;
    private final ByteString value;
    private final boolean linearizable;
    private final KeyPicker keys;

    RangeWorkload(int keySize, long keySpace, ByteString value, boolean linearizable) {
        this.keySize = keySize;
        this.keySpace = keySpace;
        this.value = value;
        this.linearizable = linearizable;
        this.keys = KeyPicker.random(keySize, keySpace);
    }

    /** Reads one key by default, like etcd's range benchmark; random keys with {@code --key-space}. */
    static RangeWorkload from(BenchOptions o) {
        return new RangeWorkload(o.keySize(), o.keySpace().orElse(1), PutWorkload.randomValue(o.valSize()),
                o.linearizable());
    }

    @Override
    public String title() {
        return linearizable ? "range (linearizable)" : "range (serializable)";
    }

    @Override
    public String details() {
        return keys.describe();
    }

    @Override
    public void prepare(Setup setup) throws BenchFailure, InterruptedException {
        setup.run(new PutWorkload(KeyPicker.sequential(keySize, keySpace), value), keys.space());
    }

    @Override
    public Client newClient(Connection conn) {
        return (seq, done) -> {
            ByteString key = keys.key(seq);
            RangeRequest request = RangeRequest.newBuilder().setKey(key).setSerializable(!linearizable).build();
            conn.kv().range(request, UnaryObserver.<RangeResponse>checking(done, response -> {
                if (response.getKvsCount() != 1) {
                    throw new IllegalStateException("range of key " + key.toStringUtf8() + " returned "
                            + response.getKvsCount() + " keys instead of 1");
                }
            }));
        };
    }
}
