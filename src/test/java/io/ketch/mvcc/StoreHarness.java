package io.ketch.mvcc;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import io.ketch.pb.mvcc.KeyValue;

/** A store on a backend file, with one-line writes and reads for tests. */
final class StoreHarness implements AutoCloseable {

    final Path file;
    final Backend backend;
    final MvccStore store;
    long raftIndex;

    private StoreHarness(Path file) {
        this.file = file;
        this.backend = Backend.open(file);
        this.store = MvccStore.open(backend);
        this.raftIndex = backend.consistentIndex();
    }

    static StoreHarness open(Path file) {
        return new StoreHarness(file);
    }

    StoreHarness reopen() {
        backend.close();
        return new StoreHarness(file);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(com.google.protobuf.ByteString bs) {
        return bs.toStringUtf8();
    }

    /** Puts key=value in its own txn; returns the store revision after it. */
    long put(String key, String value) {
        MvccStore.WriteTxn t = store.beginWrite(++raftIndex, 1);
        t.put(b(key), b(value), 0);
        return t.end();
    }

    /** Deletes [key, end) in its own txn (end null: single key); returns the revision after. */
    long delete(String key, String end) {
        MvccStore.WriteTxn t = store.beginWrite(++raftIndex, 1);
        t.deleteRange(b(key), end == null ? null : b(end), false);
        return t.end();
    }

    RangeResult range(String key, String end) {
        return store.range(b(key), end == null ? null : b(end), 0, 0, false);
    }

    RangeResult rangeAt(String key, String end, long rev) {
        return store.range(b(key), end == null ? null : b(end), rev, 0, false);
    }

    /** The single key's KeyValue at the current revision, or null. */
    KeyValue get(String key) {
        List<KeyValue> kvs = range(key, null).kvs();
        return kvs.isEmpty() ? null : kvs.get(0);
    }

    /** "key=value" of the range. */
    static List<String> kvStrings(RangeResult r) {
        List<String> out = new ArrayList<>();
        for (KeyValue kv : r.kvs()) {
            out.add(s(kv.getKey()) + "=" + s(kv.getValue()));
        }
        return out;
    }

    /** The revisions of every record in the key bucket, "main.sub" with a 't' for tombstones. */
    List<String> records() {
        List<String> out = new ArrayList<>();
        Iterator<byte[]> it = backend.keyIterator(Backend.KEY_BUCKET, null, null);
        while (it.hasNext()) {
            byte[] k = it.next();
            out.add(Revision.fromBytes(k) + (Revision.isTombstone(k) ? "t" : ""));
        }
        return out;
    }

    @Override
    public void close() {
        backend.close();
    }
}
