package io.ketch.watch;

import static io.ketch.watch.WatchHarness.bs;
import static io.ketch.watch.WatchHarness.show;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ketch.pb.etcdserver.WatchCreateRequest;
import io.ketch.pb.etcdserver.WatchResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watchable store and the stream protocol, driven directly: no threads, a fake clock. */
class WatchableStoreTest {
    @TempDir
    Path dir;
    WatchHarness h;

    @BeforeEach
    void open() {
        h = new WatchHarness(dir, WatchConfig.defaults().withProgressInterval(Duration.ofSeconds(10), false));
    }

    @AfterEach
    void close() {
        h.close();
    }

    private WatchHarness reopen(WatchConfig config) {
        h.close();
        h = new WatchHarness(dir.resolve("x" + System.nanoTime()), config);
        return h;
    }

    // ------------------------------------------------------------ create and live events

    @Test
    void createdComesFirstWithTheCurrentRevisionThenOnlyLaterEventsOfTheWatchedKey() {
        h.put("a", "0"); // 2
        WatchHarness.Client c = h.client();
        c.watch("a", null, 0);
        h.put("a", "1"); // 3
        h.put("b", "1"); // 4
        h.put("ab", "1"); // 5
        List<WatchResponse> rs = c.sink.all();
        assertTrue(rs.get(0).getCreated());
        assertEquals(0, rs.get(0).getWatchId());
        assertEquals(2, rs.get(0).getHeader().getRevision());
        assertEquals(2, rs.size());
        assertEquals(List.of("PUT a@3=1"), show(rs.get(1).getEventsList()));
        assertEquals(3, rs.get(1).getHeader().getRevision());
    }

    @Test
    void rangesPrefixesAndFromKeyWatchesSeeTheirKeysOnly() {
        WatchHarness.Client c = h.client();
        c.watch("b", "d", 0); // id 0: [b, d)
        c.watch("", "\0", 0); // id 1: every key
        c.watch("c", "\0", 0); // id 2: from c on
        c.watch("", "", 0); // id 3: the single key "\0"
        h.put("a", "1");
        h.put("b", "1");
        h.put("cz", "1");
        h.put("d", "1");
        h.put("\0", "1");
        assertEquals(List.of("PUT b@3=1", "PUT cz@4=1"), show(c.events(0)));
        assertEquals(5, c.events(1).size());
        assertEquals(List.of("PUT cz@4=1", "PUT d@5=1"), show(c.events(2)));
        assertEquals(List.of("PUT \0@6=1"), show(c.events(3)));
    }

    @Test
    void eventsOfOneRevisionArriveInOneResponseInOrder() {
        WatchHarness.Client c = h.client();
        c.watch("k", "l", 0);
        h.putAll("k2", "a", "k1", "b", "x", "c");
        List<WatchResponse> withEvents = c.sink.matching(r -> r.getEventsCount() > 0);
        assertEquals(1, withEvents.size());
        assertEquals(List.of("PUT k2@2=a", "PUT k1@2=b"), show(withEvents.get(0).getEventsList()));
    }

    @Test
    void aFutureStartRevisionWaitsForIt() {
        WatchHarness.Client c = h.client();
        c.watch("a", null, 4);
        h.put("a", "1"); // 2
        h.put("a", "2"); // 3
        h.put("a", "3"); // 4
        assertEquals(List.of("PUT a@4=3"), show(c.events(0)));
    }

    @Test
    void filtersDropPutsOrDeletesAndAFullyFilteredRevisionSendsNothing() {
        WatchHarness.Client c = h.client();
        c.create(WatchCreateRequest.newBuilder().setKey(bs("a")).addFilters(WatchCreateRequest.FilterType.NOPUT));
        c.create(WatchCreateRequest.newBuilder().setKey(bs("a")).addFilters(WatchCreateRequest.FilterType.NODELETE));
        h.put("a", "1");
        h.delete("a", null);
        assertEquals(List.of("DELETE a@3"), show(c.events(0)));
        assertEquals(List.of("PUT a@2=1"), show(c.events(1)));
        // 2 created + 1 response each: nothing empty for the filtered revisions
        assertEquals(4, c.sink.all().size());
    }

    @Test
    void prevKvIsTheValueBeforeTheEventExceptForACreation() {
        WatchHarness.Client c = h.client();
        c.create(WatchCreateRequest.newBuilder().setKey(bs("a")).setPrevKv(true));
        h.put("a", "1");
        h.put("a", "2");
        h.delete("a", null);
        assertEquals(List.of("PUT a@2=1", "PUT a@3=2 prev=1@2", "DELETE a@4 prev=2@3"), show(c.events(0)));
    }

    @Test
    void prevKvIsLeftOutWhenItsRevisionIsCompacted() {
        h.put("a", "1"); // 2
        h.put("a", "2"); // 3
        h.put("a", "3"); // 4
        h.mvcc.compact(3);
        WatchHarness.Client c = h.client();
        c.create(WatchCreateRequest.newBuilder().setKey(bs("a")).setPrevKv(true).setStartRevision(3));
        h.store.syncUntilIdle();
        // a@3's previous value (rev 2) is compacted; a@4's (rev 3) is kept
        assertEquals(List.of("PUT a@3=2", "PUT a@4=3 prev=2@3"), show(c.events(0)));
    }

    // ------------------------------------------------------------ history, compaction

    @Test
    void aPastStartRevisionReplaysHistoryThenFollowsLiveEventsWithoutGapOrDuplicate() {
        h.put("a", "1"); // 2
        h.put("b", "1"); // 3
        h.put("a", "2"); // 4
        WatchHarness.Client c = h.client();
        c.watch("a", null, 2);
        h.put("a", "3"); // 5: notified while the watcher is unsynced
        assertEquals(1, h.store.slowWatcherCount());
        assertTrue(h.store.syncUntilIdle());
        assertEquals(0, h.store.slowWatcherCount());
        h.put("a", "4"); // 6: live
        assertEquals(List.of("PUT a@2=1", "PUT a@4=2", "PUT a@5=3", "PUT a@6=4"), show(c.events(0)));
        List<WatchResponse> rs = c.sink.all();
        assertTrue(rs.get(0).getCreated());
        assertEquals(5, rs.get(1).getHeader().getRevision()); // caught up to 5 in one response
    }

    @Test
    void historyTheMemoryNoLongerHoldsIsReadFromTheBackendInWindows() {
        reopen(WatchConfig.defaults().withBuffers(256, 1 << 20, 3, 2, 1 << 20));
        for (int i = 1; i <= 10; i++) {
            h.put("k", "v" + i); // revisions 2..11
        }
        WatchHarness.Client c = h.client();
        c.watch("k", null, 2);
        h.store.syncUntilIdle();
        h.put("k", "v11"); // 12, live
        List<String> expected = new java.util.ArrayList<>();
        for (int i = 1; i <= 11; i++) {
            expected.add("PUT k@" + (i + 1) + "=v" + i);
        }
        assertEquals(expected, show(c.events(0)));
        // windows of 3 revisions from the backend, then the rest from memory
        assertEquals(List.of(4L, 7L, 10L, 11L), c.sink.matching(r -> r.getEventsCount() > 0).stream()
                .limit(4).map(r -> r.getHeader().getRevision()).toList());
    }

    @Test
    void aCompactedStartRevisionCancelsTheWatcherWithTheCompactRevisionAsEtcdDoes() {
        h.put("a", "1"); // 2
        h.put("a", "2"); // 3
        h.put("a", "3"); // 4
        h.mvcc.compact(3);
        WatchHarness.Client c = h.client();
        c.watch("a", null, 2);
        h.store.syncUntilIdle();
        List<WatchResponse> rs = c.sink.all();
        assertEquals(2, rs.size());
        assertTrue(rs.get(0).getCreated());
        WatchResponse cancel = rs.get(1);
        assertTrue(cancel.getCanceled());
        assertEquals(3, cancel.getCompactRevision());
        assertEquals(0, cancel.getHeader().getRevision());
        assertEquals(0, h.store.watcherCount());
        // etcd keeps the ID taken until the client cancels it, and then answers the cancel
        c.watch("a", null, 0);
        assertEquals(1, c.sink.all().get(2).getWatchId());
        h.put("a", "4");
        c.cancel(0);
        assertTrue(c.sink.all().get(4).getCanceled());
        assertEquals(0, c.sink.all().get(4).getWatchId());
    }

    @Test
    void aStartRevisionEqualToTheCompactedOneIsAllowed() {
        h.put("a", "1"); // 2
        h.put("a", "2"); // 3
        h.put("b", "1"); // 4
        h.mvcc.compact(3);
        WatchHarness.Client c = h.client();
        c.watch("", "\0", 3);
        h.store.syncUntilIdle();
        assertEquals(List.of("PUT a@3=2", "PUT b@4=1"), show(c.events(0)));
    }

    @Test
    void aNegativeStartRevisionIsCancelledAsCompactedLikeEtcd() {
        h.put("a", "1");
        WatchHarness.Client c = h.client();
        c.watch("a", null, -5);
        h.store.syncUntilIdle();
        WatchResponse r = c.sink.all().get(1);
        assertTrue(r.getCanceled());
        assertEquals(-1, r.getCompactRevision());
    }

    @Test
    void catchUpResponsesAreCutBetweenRevisions() {
        reopen(WatchConfig.defaults().withBuffers(256, 10, 1000, 8192, 1 << 20));
        h.putAll("a1", "xxxxxxxx", "a2", "yyyyyyyy"); // 2: one revision, over 10 bytes
        h.put("a3", "z"); // 3
        WatchHarness.Client c = h.client();
        c.watch("a", "b", 1);
        h.store.syncUntilIdle();
        List<WatchResponse> rs = c.sink.matching(r -> r.getEventsCount() > 0);
        assertEquals(2, rs.size());
        assertEquals(List.of("PUT a1@2=xxxxxxxx", "PUT a2@2=yyyyyyyy"), show(rs.get(0).getEventsList()));
        assertEquals(2, rs.get(0).getHeader().getRevision());
        assertEquals(List.of("PUT a3@3=z"), show(rs.get(1).getEventsList()));
        assertEquals(3, rs.get(1).getHeader().getRevision());
    }

    @Test
    void eventsThatPiledUpLeaveAsOneResponsePerWatcherButNeverCrossAControlResponse() {
        WatchHarness.Client c = h.queuedClient(); // drains wait: the queue piles up
        c.watch("a", null, 0); // 0
        c.watch("b", null, 0); // 1
        h.put("a", "1"); // 2
        h.put("b", "1"); // 3
        h.put("a", "2"); // 4
        c.requestProgress(); // a barrier: it vouches for revision 4
        h.put("a", "3"); // 5
        c.runDrains();
        List<WatchResponse> rs = c.sink.all();
        assertEquals(6, rs.size());
        assertTrue(rs.get(0).getCreated() && rs.get(1).getCreated());
        assertEquals(0, rs.get(2).getWatchId());
        assertEquals(List.of("PUT a@2=1", "PUT a@4=2"), show(rs.get(2).getEventsList()));
        assertEquals(4, rs.get(2).getHeader().getRevision());
        assertEquals(List.of("PUT b@3=1"), show(rs.get(3).getEventsList()));
        assertEquals(-1, rs.get(4).getWatchId());
        assertEquals(4, rs.get(4).getHeader().getRevision());
        assertEquals(List.of("PUT a@5=3"), show(rs.get(5).getEventsList()));
    }

    // ------------------------------------------------------------ slow watchers

    @Test
    void aSlowStreamsWatcherLeavesTheSyncedGroupWithoutHoldingBackOthersAndCatchesUpExactlyOnce() {
        reopen(WatchConfig.defaults().withBuffers(4, 1 << 20, 1000, 8192, 1 << 20));
        WatchHarness.Client slow = h.queuedClient();
        WatchHarness.Client fast = h.client();
        slow.watch("k", "l", 0);
        fast.watch("k", "l", 0);
        slow.runDrains();
        slow.sink.setReady(false);
        for (int i = 0; i < 20; i++) {
            h.put("k" + i, "v"); // the writer never waits: these all commit
        }
        slow.runDrains();
        assertEquals(20, fast.sink.eventCount(0));
        assertEquals(0, slow.sink.eventCount(0));
        assertEquals(1, h.store.slowWatcherCount()); // overflowed after 4 queued responses
        assertFalse(h.store.syncUntilIdle()); // no room yet: nothing to do
        slow.sink.setReady(true);
        slow.stream.onReady();
        slow.runDrains(); // sends the 4 queued, which makes room
        assertTrue(h.store.syncUntilIdle());
        slow.runDrains();
        h.put("k20", "v"); // live again
        slow.runDrains();
        List<String> got = show(slow.events(0));
        assertEquals(21, got.size());
        for (int i = 0; i <= 20; i++) {
            assertEquals("PUT k" + i + "@" + (i + 2) + "=v", got.get(i));
        }
        assertEquals(0, h.store.slowWatcherCount());
    }

    // ------------------------------------------------------------ ids, cancel, bad input

    @Test
    void clientChosenIdsAutoIdsAndTheDuplicateIdErrorAsEtcdAnswersThem() {
        WatchHarness.Client c = h.client();
        c.watch("a", null, 0); // auto: 0
        c.create(WatchCreateRequest.newBuilder().setKey(bs("a")).setWatchId(5));
        c.create(WatchCreateRequest.newBuilder().setKey(bs("a")).setWatchId(5));
        c.watch("a", null, 0); // auto: 1
        c.create(WatchCreateRequest.newBuilder().setKey(bs("a")).setWatchId(-3));
        List<WatchResponse> rs = c.sink.all();
        assertEquals(List.of(0L, 5L, -1L, 1L, -3L), rs.stream().map(WatchResponse::getWatchId).toList());
        WatchResponse dup = rs.get(2);
        assertTrue(dup.getCreated());
        assertTrue(dup.getCanceled());
        assertEquals("mvcc: duplicate watch ID provided on the WatchStream", dup.getCancelReason());
        assertEquals(4, h.store.watcherCount());
    }

    @Test
    void anEmptyRangeIsRefusedWithEtcdsReasonAndChangesNothing() {
        WatchHarness.Client c = h.client();
        c.watch("b", "a", 0);
        c.watch("a", "a", 0);
        for (WatchResponse r : c.sink.all()) {
            assertEquals(-1, r.getWatchId());
            assertTrue(r.getCreated() && r.getCanceled());
            assertEquals("mvcc: watcher range is empty", r.getCancelReason());
        }
        assertEquals(0, h.store.watcherCount());
        c.watch("a", null, 0); // the stream still works, and no ID was used up
        assertEquals(0, c.sink.all().get(2).getWatchId());
    }

    @Test
    void cancelAnswersOnceStopsEventsAndAnUnknownIdGetsNoAnswer() {
        WatchHarness.Client c = h.client();
        c.watch("a", null, 0);
        h.put("a", "1");
        c.cancel(0);
        c.cancel(0);
        c.cancel(42);
        h.put("a", "2");
        List<WatchResponse> rs = c.sink.all();
        assertEquals(3, rs.size());
        assertTrue(rs.get(2).getCanceled());
        assertEquals(0, rs.get(2).getWatchId());
        assertEquals(2, rs.get(2).getHeader().getRevision());
        assertEquals(0, h.store.watcherCount());
    }

    @Test
    void eventsQueuedBeforeACancelAreNotSentAfterIt() {
        WatchHarness.Client c = h.queuedClient();
        c.watch("a", null, 0);
        h.put("a", "1");
        c.cancel(0);
        c.runDrains();
        List<WatchResponse> rs = c.sink.all();
        assertEquals(2, rs.size());
        assertTrue(rs.get(0).getCreated());
        assertTrue(rs.get(1).getCanceled());
    }

    @Test
    void closingAStreamRemovesItsWatchers() {
        WatchHarness.Client c = h.client();
        c.watch("a", null, 0);
        c.watch("b", null, 1);
        assertEquals(2, h.store.watcherCount());
        assertEquals(1, h.store.streamCount());
        c.stream.close();
        assertEquals(0, h.store.watcherCount());
        assertEquals(0, h.store.streamCount());
        assertEquals(0, h.timer.activeTasks());
        h.put("a", "1");
        assertEquals(2, c.sink.all().size());
    }

    @Test
    void anEmptyRequestIsIgnored() {
        WatchHarness.Client c = h.client();
        c.stream.handle(io.ketch.pb.etcdserver.WatchRequest.getDefaultInstance());
        assertEquals(0, c.sink.all().size());
    }

    // ------------------------------------------------------------ progress

    @Test
    void aProgressRequestAnswersWithTheCurrentRevisionOnceEveryWatcherIsSynced() {
        h.put("a", "1"); // 2
        h.put("a", "2"); // 3
        WatchHarness.Client c = h.client();
        c.watch("a", null, 2); // unsynced until a sync round
        c.requestProgress();
        c.requestProgress(); // one owed answer, not two
        assertEquals(1, c.sink.all().size());
        h.store.syncUntilIdle();
        List<WatchResponse> rs = c.sink.all();
        assertEquals(3, rs.size());
        assertEquals(2, rs.get(1).getEventsCount()); // the events it vouches for come first
        assertEquals(-1, rs.get(2).getWatchId());
        assertEquals(3, rs.get(2).getHeader().getRevision());
        c.requestProgress();
        assertEquals(-1, c.sink.all().get(3).getWatchId());
    }

    @Test
    void progressNotifyTicksReachIdleSyncedWatchersOnlyDrivenByTheFakeClock() {
        WatchHarness.Client c = h.client();
        c.create(WatchCreateRequest.newBuilder().setKey(bs("a")).setProgressNotify(true)); // 0
        c.create(WatchCreateRequest.newBuilder().setKey(bs("b")).setProgressNotify(true)); // 1
        c.create(WatchCreateRequest.newBuilder().setKey(bs("c"))); // 2: no progress_notify
        h.timer.advance(Duration.ofSeconds(9));
        assertEquals(3, c.sink.all().size()); // nothing before the interval
        h.timer.advance(Duration.ofSeconds(1));
        List<WatchResponse> ticks = c.sink.all().subList(3, c.sink.all().size());
        assertEquals(List.of(0L, 1L), ticks.stream().map(WatchResponse::getWatchId).sorted().toList());
        assertTrue(ticks.stream().allMatch(r -> r.getEventsCount() == 0 && r.getHeader().getRevision() == 1));
        c.sink.take();
        h.put("a", "1"); // watcher 0 is busy this interval
        c.sink.take();
        h.timer.advance(Duration.ofSeconds(10));
        List<WatchResponse> next = c.sink.take();
        assertEquals(1, next.size());
        assertEquals(1, next.get(0).getWatchId());
        assertEquals(2, next.get(0).getHeader().getRevision());
        h.timer.advance(Duration.ofSeconds(10)); // idle again: both
        assertEquals(2, c.sink.take().size());
    }

    @Test
    void progressTicksSkipUnsyncedWatchers() {
        h.put("a", "1");
        WatchHarness.Client c = h.client();
        c.create(WatchCreateRequest.newBuilder().setKey(bs("a")).setProgressNotify(true).setStartRevision(1));
        h.timer.advance(Duration.ofSeconds(10));
        assertEquals(1, c.sink.all().size()); // only created
    }

    // ------------------------------------------------------------ fragments

    @Test
    void aLargeResponseOfAFragmentWatcherIsSplitAndOthersAreNot() {
        reopen(WatchConfig.defaults().withMaxResponseBytes(100));
        WatchHarness.Client c = h.client();
        c.create(WatchCreateRequest.newBuilder().setKey(bs("k")).setRangeEnd(bs("l")).setFragment(true));
        c.create(WatchCreateRequest.newBuilder().setKey(bs("k")).setRangeEnd(bs("l")));
        String v = "x".repeat(40);
        h.putAll("k1", v, "k2", v, "k3", v, "k4", v);
        List<WatchResponse> frags = c.sink.matching(r -> r.getWatchId() == 0 && r.getEventsCount() > 0);
        assertTrue(frags.size() >= 2, "split into " + frags.size());
        for (int i = 0; i < frags.size(); i++) {
            assertEquals(i < frags.size() - 1, frags.get(i).getFragment());
            assertTrue(frags.get(i).getEventsCount() == 1 || frags.get(i).getSerializedSize() < 100);
        }
        assertEquals(List.of("k1", "k2", "k3", "k4"), c.events(0).stream()
                .map(e -> e.getKv().getKey().toStringUtf8()).toList());
        List<WatchResponse> whole = c.sink.matching(r -> r.getWatchId() == 1 && r.getEventsCount() > 0);
        assertEquals(1, whole.size());
        assertEquals(4, whole.get(0).getEventsCount());
        assertFalse(whole.get(0).getFragment());
    }
}
