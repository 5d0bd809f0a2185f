package io.ketch.mvcc;

import static io.ketch.mvcc.StoreHarness.b;
import static io.ketch.mvcc.StoreHarness.kvStrings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.ketch.errors.EtcdError;
import io.ketch.errors.EtcdException;
import io.ketch.pb.mvcc.Event;
import io.ketch.pb.mvcc.KeyValue;

class MvccStoreTest {

    @TempDir
    Path dir;

    StoreHarness h;

    @BeforeEach
    void open() {
        h = StoreHarness.open(dir.resolve("db"));
    }

    @AfterEach
    void close() {
        h.close();
    }

    static EtcdError errorOf(Runnable r) {
        EtcdException e = assertThrows(EtcdException.class, r::run);
        return e.error;
    }

    // ------------------------------------------------------------ revisions

    @Test
    void aFreshStoreIsAtRevisionOneAndEmpty() {
        assertEquals(1, h.store.currentRevision());
        assertEquals(-1, h.store.compactedRevision());
        RangeResult r = h.range("a", "\0");
        assertEquals(0, r.count());
        assertEquals(1, r.rev());
    }

    @Test
    void everyMutatingTxnBumpsTheRevisionByExactlyOne() {
        assertEquals(2, h.put("a", "1"));
        assertEquals(3, h.put("a", "2"));
        assertEquals(4, h.delete("a", null));
        assertEquals(4, h.store.currentRevision());
    }

    @Test
    void changesInsideOneTxnShareTheMainRevisionWithSubRevisions() {
        h.put("x", "0");
        MvccStore.WriteTxn t = h.store.beginWrite(10, 1);
        assertEquals(3, t.put(b("a"), b("1"), 0));
        assertEquals(3, t.put(b("b"), b("2"), 0));
        t.deleteRange(b("x"), null, false);
        assertEquals(3, t.end());
        assertEquals(List.of("2.0", "3.0", "3.1", "3.2t"), h.records());
        KeyValue a = h.get("a");
        KeyValue bb = h.get("b");
        assertEquals(3, a.getModRevision());
        assertEquals(3, bb.getModRevision());
        assertEquals(3, bb.getCreateRevision());
    }

    @Test
    void writesThatChangeNothingDoNotBumpTheRevision() {
        h.put("a", "1");
        assertEquals(2, h.delete("missing", null), "delete of a missing key");
        assertEquals(2, h.delete("b", "c"), "delete of an empty range");
        MvccStore.WriteTxn t = h.store.beginWrite(50, 1);
        t.range(b("a"), null, 0, 0, false);
        assertEquals(2, t.end(), "a txn that only reads");
        assertEquals(2, h.store.currentRevision());
        assertEquals(50, h.store.consistentIndex(), "the entry still counts as applied");
    }

    @Test
    void createModAndVersionFollowEtcdAcrossDeleteAndRecreate() {
        h.put("foo", "a");
        KeyValue kv = h.get("foo");
        assertEquals(List.of(2L, 2L, 1L), List.of(kv.getCreateRevision(), kv.getModRevision(), kv.getVersion()));
        h.put("foo", "b");
        kv = h.get("foo");
        assertEquals(List.of(2L, 3L, 2L), List.of(kv.getCreateRevision(), kv.getModRevision(), kv.getVersion()));
        h.delete("foo", null);
        assertNull(h.get("foo"));
        h.put("foo", "c");
        kv = h.get("foo");
        assertEquals(List.of(5L, 5L, 1L), List.of(kv.getCreateRevision(), kv.getModRevision(), kv.getVersion()),
                "a re-created key starts a new generation");
        assertEquals("c", kv.getValue().toStringUtf8());
    }

    @Test
    void theLeaseIsStoredInTheKeyValue() {
        MvccStore.WriteTxn t = h.store.beginWrite(1, 1);
        t.put(b("k"), b("v"), 0x1234);
        t.end();
        assertEquals(0x1234, h.get("k").getLease());
    }

    // ------------------------------------------------------------ ranges

    private void abcd() {
        for (String k : List.of("a", "b", "b1", "b2", "c", "d")) {
            h.put(k, k.toUpperCase());
        }
    }

    @Test
    void rangeEndFormsSingleKeyHalfOpenAndFromKey() {
        abcd();
        assertEquals(List.of("b=B"), kvStrings(h.range("b", null)));
        assertEquals(List.of("b=B"), kvStrings(h.range("b", "")));
        assertEquals(List.of("b=B", "b1=B1", "b2=B2"), kvStrings(h.range("b", "c")), "prefix b");
        assertEquals(List.of("c=C", "d=D"), kvStrings(h.range("c", "\0")), "every key >= c");
        assertEquals(List.of(), kvStrings(h.range("d", "a")), "end before key");
        assertEquals(List.of(), kvStrings(h.range("zz", null)));
    }

    @Test
    void limitCutsTheKvsButCountIsTheTotal() {
        abcd();
        RangeResult r = h.store.range(b("a"), new byte[] {0}, 0, 2, false);
        assertEquals(List.of("a=A", "b=B"), kvStrings(r));
        assertEquals(6, r.count());
        RangeResult c = h.store.range(b("b"), b("c"), 0, 0, true);
        assertEquals(0, c.kvs().size());
        assertEquals(3, c.count());
        assertEquals(h.store.currentRevision(), c.rev());
    }

    @Test
    void historicalReadsSeeThePastAndReportTheCurrentRevision() {
        h.put("k", "v1"); // 2
        h.put("k", "v2"); // 3
        h.delete("k", null); // 4
        h.put("j", "x"); // 5
        assertEquals(List.of("k=v1"), kvStrings(h.rangeAt("k", null, 2)));
        assertEquals(List.of("k=v2"), kvStrings(h.rangeAt("k", null, 3)));
        assertEquals(List.of(), kvStrings(h.rangeAt("k", null, 4)));
        assertEquals(List.of("k=v2"), kvStrings(h.rangeAt("a", "z", 3)));
        assertEquals(5, h.rangeAt("k", null, 2).rev(), "header revision is the current one");
        assertEquals(5, h.rangeAt("a", "z", 1).rev());
        assertEquals(0, h.rangeAt("a", "z", 1).count());
        assertEquals(EtcdError.FUTURE_REV, errorOf(() -> h.rangeAt("k", null, 6)));
    }

    @Test
    void aReadTxnKeepsReadingTheRevisionItBeganAt() {
        h.put("a", "1");
        try (MvccStore.ReadTxn t = h.store.beginRead()) {
            h.put("a", "2");
            h.put("b", "1");
            assertEquals(2, t.revision());
            assertEquals(List.of("a=1"), kvStrings(t.range(b("a"), new byte[] {0}, 0, 0, false)));
            assertEquals(EtcdError.FUTURE_REV, errorOf(() -> t.range(b("a"), null, 3, 0, false)));
        }
        assertEquals(List.of("a=2", "b=1"), kvStrings(h.range("a", "\0")));
    }

    // ------------------------------------------------------------ write txns

    @Test
    void aWriteTxnReadsItsOwnWritesButOthersDoNot() {
        h.put("a", "old");
        MvccStore.WriteTxn t = h.store.beginWrite(7, 1);
        assertEquals(2, t.revision());
        t.put(b("a"), b("new"), 0);
        assertEquals(3, t.revision());
        assertEquals(List.of("a=new"), kvStrings(t.range(b("a"), null, 0, 0, false)));
        assertEquals(List.of("a=old"), kvStrings(t.range(b("a"), null, 2, 0, false)));
        // another thread's read while the txn is open sees revision 2 only
        RangeResult[] seen = new RangeResult[1];
        Thread reader = new Thread(() -> seen[0] = h.range("a", null));
        reader.start();
        join(reader);
        assertEquals(List.of("a=old"), kvStrings(seen[0]));
        assertEquals(2, seen[0].rev());
        t.deleteRange(b("a"), null, false);
        assertEquals(List.of(), kvStrings(t.range(b("a"), null, 0, 0, false)));
        t.put(b("a"), b("again"), 0);
        KeyValue kv = t.range(b("a"), null, 0, 0, false).kvs().get(0);
        assertEquals(3, kv.getCreateRevision(), "re-created inside the txn");
        assertEquals(1, kv.getVersion());
        assertEquals(3, t.end());
        assertEquals("again", h.get("a").getValue().toStringUtf8());
    }

    @Test
    void deleteRangeReturnsThePreviousKvsAndEtcdsRevision() {
        abcd(); // revisions 2..7
        MvccStore.WriteTxn t = h.store.beginWrite(1, 1);
        DeleteResult none = t.deleteRange(b("x"), null, true);
        assertEquals(0, none.deleted());
        assertEquals(7, none.rev(), "nothing changed: the current revision");
        DeleteResult d = t.deleteRange(b("b"), b("c"), true);
        assertEquals(3, d.deleted());
        assertEquals(8, d.rev());
        assertEquals(List.of("b=B", "b1=B1", "b2=B2"), d.prevKvs().stream()
                .map(kv -> kv.getKey().toStringUtf8() + "=" + kv.getValue().toStringUtf8()).toList());
        DeleteResult none2 = t.deleteRange(b("x"), null, false);
        assertEquals(8, none2.rev(), "the txn has changed something: its new revision");
        t.end();
        assertEquals(List.of("a=A", "c=C", "d=D"), kvStrings(h.range("a", "\0")));
    }

    @Test
    void abortUndoesEveryChangeButAdvancesTheConsistentIndex() {
        h.put("a", "1");
        h.put("b", "2");
        HashResult before = h.store.hashByRev(0);
        List<String> recordsBefore = h.records();
        MvccStore.WriteTxn t = h.store.beginWrite(99, 4);
        t.put(b("a"), b("changed"), 0);
        t.put(b("new"), b("x"), 0);
        t.deleteRange(b("b"), null, false);
        t.put(b("b"), b("recreated"), 0);
        t.deleteRange(b("a"), b("z"), false);
        t.abort();
        assertEquals(3, h.store.currentRevision());
        assertEquals(99, h.store.consistentIndex());
        assertEquals(4, h.store.consistentTerm());
        assertEquals(List.of("a=1", "b=2"), kvStrings(h.range("a", "\0")));
        assertEquals(recordsBefore, h.records());
        assertEquals(before, h.store.hashByRev(0));
        assertEquals(2, h.store.indexedKeys());
        // the store goes on normally
        assertEquals(4, h.put("a", "3"));
        assertEquals(2, h.get("a").getVersion());
    }

    @Test
    void theCommitListenerGetsEachRevisionsEventsInOrder() {
        List<String> got = new ArrayList<>();
        h.store.setCommitListener((rev, events) -> {
            for (Event e : events) {
                got.add(rev + " " + e.getType() + " " + e.getKv().getKey().toStringUtf8() + " mod="
                        + e.getKv().getModRevision() + " v=" + e.getKv().getValue().toStringUtf8());
            }
        });
        h.put("a", "1");
        MvccStore.WriteTxn t = h.store.beginWrite(5, 1);
        t.put(b("b"), b("2"), 0);
        t.deleteRange(b("a"), null, false);
        t.end();
        h.delete("nothing", null);
        assertEquals(List.of("2 PUT a mod=2 v=1", "3 PUT b mod=3 v=2", "3 DELETE a mod=3 v="), got);
    }

    @Test
    void eventsBetweenRevisionsAreReadBackInOrderLikeTheCommitListenerSawThem() {
        List<Event> live = new ArrayList<>();
        h.store.setCommitListener((rev, events) -> live.addAll(events));
        mixedHistory(h);
        List<Event> replayed = new ArrayList<>();
        h.store.forEachEvent(2, h.store.currentRevision(), replayed::add);
        assertEquals(live, replayed);
        List<Event> tail = new ArrayList<>();
        h.store.forEachEvent(6, 7, tail::add);
        assertEquals(List.of("PUT b", "DELETE d"), tail.stream()
                .map(e -> e.getType() + " " + e.getKv().getKey().toStringUtf8()).toList());
        assertEquals(7, tail.get(1).getKv().getModRevision());
        assertEquals(EtcdError.FUTURE_REV, errorOf(() -> h.store.forEachEvent(2, 99, e -> { })));
        h.store.compact(3);
        assertEquals(EtcdError.COMPACTED, errorOf(() -> h.store.forEachEvent(2, 4, e -> { })));
        // from the compacted revision itself (etcd's watch allows it): what compaction kept
        List<Event> fromCompacted = new ArrayList<>();
        h.store.forEachEvent(3, 4, fromCompacted::add);
        assertEquals(List.of("PUT b 3", "PUT a 4"), fromCompacted.stream()
                .map(e -> e.getType() + " " + e.getKv().getKey().toStringUtf8() + " " + e.getKv().getModRevision())
                .toList());
    }

    // ------------------------------------------------------------ compaction

    @Test
    void compactRejectsCompactedAndFutureRevisions() {
        h.put("a", "1");
        h.put("a", "2"); // 3
        assertEquals(EtcdError.FUTURE_REV, errorOf(() -> h.store.compact(4)));
        h.store.compact(2);
        assertEquals(EtcdError.COMPACTED, errorOf(() -> h.store.compact(2)));
        assertEquals(EtcdError.COMPACTED, errorOf(() -> h.store.compact(1)));
        h.store.compact(3);
        assertEquals(3, h.store.compactedRevision());
    }

    @Test
    void readsBelowTheCompactedRevisionFailAndAtItSucceed() {
        h.put("a", "1"); // 2
        h.put("a", "2"); // 3
        h.put("a", "3"); // 4
        h.store.compact(3);
        assertEquals(EtcdError.COMPACTED, errorOf(() -> h.rangeAt("a", null, 2)));
        assertEquals(List.of("a=2"), kvStrings(h.rangeAt("a", null, 3)));
        assertEquals(List.of("a=3"), kvStrings(h.rangeAt("a", null, 4)));
        assertEquals(List.of("a=3"), kvStrings(h.range("a", null)));
    }

    @Test
    void compactionRemovesOldRevisionsPhysicallyAndKeepsTheLatestOfLiveKeys() {
        h.put("a", "1"); // 2
        h.put("a", "2"); // 3
        h.put("b", "1"); // 4
        h.delete("b", null); // 5t
        h.put("c", "1"); // 6
        h.delete("c", null); // 7t
        h.put("c", "2"); // 8
        h.put("a", "3"); // 9
        CompactResult r = h.store.compact(7);
        assertEquals(7, r.compactRevision());
        // a: 3 kept (latest at 7); b: deleted at 5 -> everything gone; c: deleted at 7 -> gone
        assertEquals(List.of("3.0", "8.0", "9.0"), h.records());
        assertEquals(5, r.deletedRecords());
        assertEquals(List.of("a=2", "c=2"), kvStrings(h.rangeAt("a", "\0", 8)));
        assertEquals(List.of("a=2"), kvStrings(h.rangeAt("a", "\0", 7)));
        KeyValue c = h.get("c");
        assertEquals(8, c.getCreateRevision());
        assertEquals(1, c.getVersion());
        assertEquals(3, h.get("a").getVersion(), "versions survive compaction");
    }

    @Test
    void aTombstoneAfterTheCompactedRevisionKeepsTheKeysHistoryUntilThen() {
        h.put("a", "1"); // 2
        h.put("a", "2"); // 3
        h.delete("a", null); // 4t
        h.store.compact(3);
        assertEquals(List.of("3.0", "4.0t"), h.records());
        assertEquals(List.of("a=2"), kvStrings(h.rangeAt("a", null, 3)));
        h.store.compact(4);
        assertEquals(List.of(), h.records());
        assertEquals(0, h.store.indexedKeys());
    }

    // ------------------------------------------------------------ restore

    private void mixedHistory(StoreHarness s) {
        s.put("a", "1");
        s.put("b", "1");
        s.put("a", "2");
        MvccStore.WriteTxn t = s.store.beginWrite(++s.raftIndex, 1);
        t.put(b("c"), b("1"), 0);
        t.put(b("d"), b("1"), 0);
        t.deleteRange(b("b"), null, false);
        t.end();
        s.put("b", "again");
        s.delete("d", null);
        s.put("e", "1");
    }

    @Test
    void reopenAfterACleanCloseRestoresTheSameStateAndHash() {
        mixedHistory(h);
        long rev = h.store.currentRevision();
        HashResult hash = h.store.hashByRev(0);
        HashResult hashPast = h.store.hashByRev(4);
        List<String> all = kvStrings(h.range("a", "\0"));
        long ci = h.store.consistentIndex();
        StoreHarness before = h;
        h = h.reopen();
        assertTrue(h.backend.wasClosedCleanly());
        assertEquals(rev, h.store.currentRevision());
        assertEquals(all, kvStrings(h.range("a", "\0")));
        assertEquals(hash, h.store.hashByRev(0));
        assertEquals(hashPast, h.store.hashByRev(4));
        assertEquals(ci, h.store.consistentIndex());
        assertTrue(h.store.indexSameAs(before.store), "restored index equals the live one");
        // the history survives too
        assertEquals(List.of("a=1", "b=1"), kvStrings(h.rangeAt("a", "\0", 3)));
        assertEquals(1, h.get("b").getVersion(), "b was re-created");
        assertEquals(rev + 1, h.put("f", "1"));
    }

    @Test
    void aSnapshotImportedIntoAnEmptyBackendGivesTheSameStore() {
        mixedHistory(h);
        h.store.compact(4);
        h.put("z", "last");
        try (Backend copy = Backend.open(dir.resolve("copy"))) {
            h.store.exportSnapshot(copy::put);
            MvccStore restored = MvccStore.open(copy);
            assertEquals(h.store.currentRevision(), restored.currentRevision());
            assertEquals(4, restored.compactedRevision());
            assertEquals(h.store.consistentIndex(), restored.consistentIndex());
            assertEquals(h.store.hashByRev(0), restored.hashByRev(0));
            assertEquals(kvStrings(h.range("a", "\0")),
                    kvStrings(restored.range(b("a"), new byte[] {0}, 0, 0, false)));
            assertTrue(restored.indexSameAs(h.store));
        }
    }

    @Test
    void aStoreWithoutAValueCacheReadsTheSame() {
        mixedHistory(h);
        MvccStore uncached = MvccStore.open(h.backend, 0);
        for (long rev = 1; rev <= h.store.currentRevision(); rev++) {
            assertEquals(kvStrings(h.rangeAt("a", "\0", rev)),
                    kvStrings(uncached.range(b("a"), new byte[] {0}, rev, 0, false)), "at " + rev);
        }
    }

    @Test
    void reopenAfterCompactionKeepsTheCompactedRevisionAndTheCurrentOne() {
        h.put("a", "1"); // 2
        h.delete("a", null); // 3
        h.store.compact(3);
        assertEquals(List.of(), h.records());
        h = h.reopen();
        assertEquals(3, h.store.compactedRevision());
        assertEquals(3, h.store.currentRevision(), "the compacted revision bounds the current one");
        assertEquals(EtcdError.COMPACTED, errorOf(() -> h.rangeAt("a", null, 2)));
        assertEquals(4, h.put("a", "x"));
    }

    @Test
    void openFinishesACompactionThatWasScheduledButNotFinished() {
        h.put("a", "1"); // 2
        h.put("a", "2"); // 3
        h.put("b", "1"); // 4
        h.put("a", "3"); // 5
        // what a crash between scheduling and finishing leaves: the schedule, all records
        h.backend.put(Backend.META_BUCKET, b(Backend.SCHEDULED_COMPACT_REV), new Revision(4, 0).toBytes());
        h = h.reopen();
        assertEquals(4, h.store.compactedRevision());
        assertEquals(List.of("3.0", "4.0", "5.0"), h.records());
        assertEquals(EtcdError.COMPACTED, errorOf(() -> h.rangeAt("a", null, 3)));
        h = h.reopen();
        assertEquals(4, h.store.compactedRevision(), "finishedCompactRev was recorded");
    }

    // ------------------------------------------------------------ hash

    @Test
    void hashIsEtcdsCrc32cOverTheKeyBucketRecords() {
        h.put("foo", "bar"); // 2
        h.delete("foo", null); // 3t
        java.util.zip.CRC32C want = new java.util.zip.CRC32C();
        want.update(b("key"));
        want.update(new byte[] {0, 0, 0, 0, 0, 0, 0, 2, '_', 0, 0, 0, 0, 0, 0, 0, 0});
        // mvccpb.KeyValue{key:"foo", create_revision:2, mod_revision:2, version:1, value:"bar"}
        want.update(new byte[] {0x0a, 3, 'f', 'o', 'o', 0x10, 2, 0x18, 2, 0x20, 1, 0x2a, 3, 'b', 'a', 'r'});
        assertEquals((int) want.getValue(), h.store.hashByRev(2).hash());
        want.update(new byte[] {0, 0, 0, 0, 0, 0, 0, 3, '_', 0, 0, 0, 0, 0, 0, 0, 0, 't'});
        want.update(new byte[] {0x0a, 3, 'f', 'o', 'o'}); // a tombstone holds the key only
        HashResult r = h.store.hashByRev(0);
        assertEquals((int) want.getValue(), r.hash());
        assertEquals(3, r.hashRevision());
        assertEquals(3, r.currentRevision());
        assertEquals(-1, r.compactRevision());
    }

    @Test
    void equalHistoriesHashEquallyAndDifferentOnesDifferently() {
        try (StoreHarness other = StoreHarness.open(dir.resolve("other"));
                StoreHarness third = StoreHarness.open(dir.resolve("third"))) {
            mixedHistory(h);
            mixedHistory(other);
            mixedHistory(third);
            third.put("e", "2");
            assertEquals(h.store.hashByRev(0), other.store.hashByRev(0));
            assertEquals(h.store.hashByRev(0).hash(), third.store.hashByRev(h.store.currentRevision()).hash(),
                    "a hash at a past revision ignores later records");
            assertFalse(h.store.hashByRev(0).hash() == third.store.hashByRev(0).hash());
            h.store.compact(5);
            other.store.compact(5);
            assertEquals(h.store.hashByRev(0), other.store.hashByRev(0));
            assertEquals(5, h.store.hashByRev(0).compactRevision());
        }
    }

    /** CRC-32C of "key" and the given records of the key bucket, by revision string. */
    private int crcOfRecords(List<String> revs) {
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(b("key"));
        java.util.Iterator<java.util.Map.Entry<byte[], byte[]>> it = h.backend.iterator(Backend.KEY_BUCKET, null, null);
        while (it.hasNext()) {
            java.util.Map.Entry<byte[], byte[]> e = it.next();
            String r = Revision.fromBytes(e.getKey()) + (Revision.isTombstone(e.getKey()) ? "t" : "");
            if (revs.contains(r)) {
                c.update(e.getKey());
                c.update(e.getValue());
            }
        }
        return (int) c.getValue();
    }

    @Test
    void afterACompactionTheHashSkipsRecordsAtOrBelowItThatAreNotKeptAtTheHashedRevision() {
        h.put("a", "1"); // 2
        h.put("b", "1"); // 3
        h.store.compact(3);
        h.put("a", "2"); // 4
        h.put("c", "1"); // 5
        assertEquals(List.of("2.0", "3.0", "4.0", "5.0"), h.records());
        // a@2 is still stored (kept by the compaction at 3) but a compaction at 4 would drop it
        assertEquals(crcOfRecords(List.of("3.0", "4.0")), h.store.hashByRev(4).hash());
        assertEquals(crcOfRecords(List.of("3.0", "4.0", "5.0")), h.store.hashByRev(5).hash());
    }

    @Test
    void whenNoKeyIsAliveAtTheHashedRevisionNothingIsSkippedAsInEtcd() {
        h.put("a", "1"); // 2
        h.store.compact(2);
        h.delete("a", null); // 3
        assertEquals(crcOfRecords(List.of("2.0", "3.0t")), h.store.hashByRev(3).hash());
    }

    @Test
    void hashRejectsCompactedAndFutureRevisions() {
        h.put("a", "1");
        h.put("a", "2");
        h.store.compact(2);
        assertEquals(EtcdError.COMPACTED, errorOf(() -> h.store.hashByRev(2)));
        assertEquals(EtcdError.FUTURE_REV, errorOf(() -> h.store.hashByRev(4)));
        assertEquals(3, h.store.hashByRev(3).hashRevision());
    }

    // ------------------------------------------------------------ concurrency

    @Test
    void concurrentReadersNeverSeeAHalfAppliedTxn() throws Exception {
        final int txns = 600;
        final int readers = 3;
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
        List<Thread> threads = new ArrayList<>();
        h.put("k0", "0");
        h.put("k1", "0");
        h.put("k2", "0");
        for (int i = 0; i < readers; i++) {
            Thread t = new Thread(() -> {
                try {
                    long lastRev = 0;
                    do {
                        RangeResult r = h.range("k", "l");
                        // every txn writes the three keys with the same value: a torn read
                        // would show different values or a missing key
                        assertEquals(3, r.kvs().size(), "keys at " + r.rev());
                        String v = r.kvs().get(0).getValue().toStringUtf8();
                        for (KeyValue kv : r.kvs()) {
                            assertEquals(v, kv.getValue().toStringUtf8(), "torn read at " + r.rev());
                            assertTrue(kv.getModRevision() <= r.rev());
                        }
                        assertTrue(r.rev() >= lastRev, "revisions never go back");
                        lastRev = r.rev();
                        reads.incrementAndGet();
                    } while (!done.get());
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (int i = 1; i <= txns; i++) {
            MvccStore.WriteTxn t = h.store.beginWrite(i, 1);
            String v = Integer.toString(i);
            if (i % 10 == 0) {
                // a delete and re-create inside the txn
                t.deleteRange(b("k0"), b("k3"), false);
            }
            t.put(b("k0"), b(v), 0);
            t.put(b("k1"), b(v), 0);
            t.put(b("k2"), b(v), 0);
            t.end();
            if (i % 200 == 0) {
                h.store.compact(h.store.currentRevision() - 1);
            }
        }
        done.set(true);
        for (Thread t : threads) {
            join(t);
        }
        if (!failures.isEmpty()) {
            throw new AssertionError(failures.get(0));
        }
        assertTrue(reads.get() >= readers, "each reader read at least once");
        assertEquals(List.of("k0=600", "k1=600", "k2=600"), kvStrings(h.range("k", "l")));
    }

    private static void join(Thread t) {
        try {
            t.join(60_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertFalse(t.isAlive(), "thread finished");
    }
}
