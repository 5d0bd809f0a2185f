package io.ketch.apply;

import static io.ketch.apply.ApplierHarness.bs;
import static io.ketch.apply.ApplierHarness.errorOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.ketch.errors.EtcdError;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.RangeRequest.SortOrder;
import io.ketch.pb.etcdserver.RangeRequest.SortTarget;
import io.ketch.pb.etcdserver.RangeResponse;

/** etcd's Range options through Applier.range. */
class ApplierRangeTest extends ApplierFixture {

    @BeforeEach
    void writeKeys() {
        // revisions: a=3@2 b=1@3 c=2@4 d=0@5, then a rewritten @6 (version 2), b deleted @7,
        // b re-created @8
        h.put("a", "3");
        h.put("b", "1");
        h.put("c", "2");
        h.put("d", "0");
        h.put("a", "4");
        h.delete(io.ketch.pb.etcdserver.DeleteRangeRequest.newBuilder().setKey(bs("b")));
        h.put("b", "9");
    }

    static RangeRequest.Builder all() {
        return RangeRequest.newBuilder().setKey(bs("a")).setRangeEnd(bs("\0"));
    }

    static List<String> keys(RangeResponse r) {
        return r.getKvsList().stream().map(kv -> kv.getKey().toStringUtf8()).toList();
    }

    @Test
    void aPlainRangeReturnsKeysInOrderWithCountAndTheCurrentRevision() {
        RangeResponse r = h.range(all());
        assertEquals(List.of("a", "b", "c", "d"), keys(r));
        assertEquals(4, r.getCount());
        assertFalse(r.getMore());
        assertEquals(8, r.getHeader().getRevision());
        assertEquals("4", r.getKvs(0).getValue().toStringUtf8());
    }

    @Test
    void limitSetsMoreWhenKeysWereLeftOut() {
        RangeResponse r = h.range(all().setLimit(2));
        assertEquals(List.of("a", "b"), keys(r));
        assertTrue(r.getMore());
        assertEquals(4, r.getCount());
        RangeResponse exact = h.range(all().setLimit(4));
        assertFalse(exact.getMore());
        assertEquals(4, exact.getKvsCount());
    }

    @Test
    void revisionReadsThePastAndFailsWhenCompactedOrInTheFuture() {
        RangeResponse past = h.range(all().setRevision(5));
        assertEquals(List.of("a", "b", "c", "d"), keys(past));
        assertEquals("3", past.getKvs(0).getValue().toStringUtf8());
        assertEquals(8, past.getHeader().getRevision(), "the header has the current revision");
        assertEquals(List.of("a", "c", "d"), keys(h.range(all().setRevision(7))));
        assertEquals(EtcdError.FUTURE_REV, errorOf(() -> h.range(all().setRevision(9))));
        h.compact(6);
        assertEquals(EtcdError.COMPACTED, errorOf(() -> h.range(all().setRevision(5))));
        assertEquals(List.of("a", "b", "c", "d"), keys(h.range(all().setRevision(6))));
    }

    @Test
    void keysOnlyDropsValuesAndCountOnlyDropsKvs() {
        RangeResponse k = h.range(all().setKeysOnly(true));
        assertEquals(List.of("a", "b", "c", "d"), keys(k));
        assertTrue(k.getKvsList().stream().allMatch(kv -> kv.getValue().isEmpty()));
        assertEquals(8, k.getKvs(1).getModRevision(), "metadata stays");
        RangeResponse c = h.range(all().setCountOnly(true).setLimit(1));
        assertEquals(0, c.getKvsCount());
        assertEquals(4, c.getCount());
        assertFalse(c.getMore());
    }

    @Test
    void sortByEachTargetAscendingAndDescending() {
        assertEquals(List.of("d", "c", "b", "a"), keys(h.range(all().setSortOrder(SortOrder.DESCEND))));
        assertEquals(List.of("a", "b", "c", "d"), keys(h.range(all().setSortOrder(SortOrder.ASCEND))));
        assertEquals(List.of("d", "c", "a", "b"),
                keys(h.range(all().setSortTarget(SortTarget.VALUE).setSortOrder(SortOrder.ASCEND))));
        assertEquals(List.of("b", "a", "c", "d"),
                keys(h.range(all().setSortTarget(SortTarget.VALUE).setSortOrder(SortOrder.DESCEND))));
        assertEquals(List.of("c", "d", "a", "b"),
                keys(h.range(all().setSortTarget(SortTarget.MOD).setSortOrder(SortOrder.ASCEND))));
        assertEquals(List.of("b", "a", "d", "c"),
                keys(h.range(all().setSortTarget(SortTarget.MOD).setSortOrder(SortOrder.DESCEND))));
        assertEquals(List.of("a", "c", "d", "b"),
                keys(h.range(all().setSortTarget(SortTarget.CREATE).setSortOrder(SortOrder.ASCEND))));
        assertEquals(List.of("b", "d", "c", "a"),
                keys(h.range(all().setSortTarget(SortTarget.CREATE).setSortOrder(SortOrder.DESCEND))));
        // versions: a=2, b=1, c=1, d=1; ties keep key order
        assertEquals(List.of("b", "c", "d", "a"),
                keys(h.range(all().setSortTarget(SortTarget.VERSION).setSortOrder(SortOrder.ASCEND))));
        assertEquals(List.of("a", "b", "c", "d"),
                keys(h.range(all().setSortTarget(SortTarget.VERSION).setSortOrder(SortOrder.DESCEND))));
    }

    @Test
    void aTargetOtherThanKeyWithoutAnOrderSortsAscending() {
        assertEquals(List.of("d", "c", "a", "b"), keys(h.range(all().setSortTarget(SortTarget.VALUE))));
        assertEquals(List.of("a", "b", "c", "d"), keys(h.range(all().setSortTarget(SortTarget.KEY))));
    }

    @Test
    void sortingFetchesEverythingThenCutsToTheLimit() {
        RangeResponse r = h.range(all().setSortTarget(SortTarget.VALUE).setSortOrder(SortOrder.ASCEND).setLimit(2));
        assertEquals(List.of("d", "c"), keys(r));
        assertTrue(r.getMore());
        assertEquals(4, r.getCount());
    }

    @Test
    void withoutAnOrderTheLimitIsAppliedBeforeTheDefaultAscendingSort() {
        // etcd fetches limit+1 keys by key order when sort_order is NONE, and only then
        // sorts by the (non-key) target
        RangeResponse r = h.range(all().setSortTarget(SortTarget.VALUE).setLimit(2));
        // fetched a(4), b(9), c(2) -> sorted c, a, b -> cut to c, a
        assertEquals(List.of("c", "a"), keys(r));
        assertTrue(r.getMore());
    }

    @Test
    void modAndCreateRevisionFiltersPruneButCountIsBeforeFiltering() {
        RangeResponse minMod = h.range(all().setMinModRevision(5));
        assertEquals(List.of("a", "b", "d"), keys(minMod));
        assertEquals(4, minMod.getCount());
        assertEquals(List.of("c", "d"), keys(h.range(all().setMaxModRevision(5))));
        assertEquals(List.of("b", "c", "d"), keys(h.range(all().setMinCreateRevision(4))));
        assertEquals(List.of("a", "c"), keys(h.range(all().setMaxCreateRevision(4))));
        assertEquals(List.of("c"), keys(h.range(all().setMinCreateRevision(3).setMaxCreateRevision(4))));
        RangeResponse limited = h.range(all().setMinModRevision(5).setLimit(2));
        assertEquals(List.of("a", "b"), keys(limited));
        assertTrue(limited.getMore(), "more counts the kvs left after filtering");
        RangeResponse notMore = h.range(all().setMinModRevision(6).setLimit(2));
        assertEquals(List.of("a", "b"), keys(notMore));
        assertFalse(notMore.getMore());
    }

    @Test
    void singleKeyAndPrefixRanges() {
        h.put("b1", "x");
        assertEquals(List.of("b"), keys(h.range(RangeRequest.newBuilder().setKey(bs("b")))));
        assertEquals(List.of("b", "b1"), keys(h.range("b", "c")));
        assertEquals(List.of(), keys(h.range(RangeRequest.newBuilder().setKey(bs("bb")))));
    }
}
