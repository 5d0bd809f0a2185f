package io.ketch.raft;

import io.ketch.pb.raft.Message;
import io.ketch.pb.raft.MessageType;
import com.google.protobuf.ByteString;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.stream.LongStream;

/**
 * A perfectly synchronous network for the rule tests: a delivered message is stepped at
 * once and everything it causes is delivered in turn, until the cluster is quiet. Links can
 * be cut and messages filtered to set up the situations the rules talk about.
 */
final class TestCluster {
    final Map<Long, TestNode> nodes = new TreeMap<>();
    private final Set<Long> isolated = new HashSet<>();
    private final Set<List<Long>> cutLinks = new HashSet<>();
    private Predicate<Message> drop = m -> false;
    /** Every message delivered, in order (for assertions about what was sent). */
    final List<Message> delivered = new ArrayList<>();

    static TestCluster of(int size) {
        return of(size, b -> b);
    }

    static TestCluster of(int size, UnaryOperator<RaftConfig.Builder> config) {
        long[] ids = LongStream.rangeClosed(1, size).toArray();
        TestCluster c = new TestCluster();
        for (long id : ids) {
            c.add(new TestNode(config.apply(RaftTests.config(id)).build(), new MemoryStorage(RaftTests.voters(ids))));
        }
        return c;
    }

    /**
     * Three members, 1 leading and 3 behind: 3 was isolated while 1 and 2 committed "a" and
     * "b", then the network healed; no message has reached 3 since.
     */
    static TestCluster withFollower3Behind() {
        TestCluster c = of(3);
        c.campaign(1);
        c.isolate(3);
        c.propose(1, "a");
        c.propose(1, "b");
        c.heal();
        return c;
    }

    /** A cluster whose founders start from {@link MemoryStorage#bootstrap}, so members can be added. */
    static TestCluster bootstrapped(int founders, UnaryOperator<RaftConfig.Builder> config) {
        long[] ids = LongStream.rangeClosed(1, founders).toArray();
        TestCluster c = new TestCluster();
        for (long id : ids) {
            c.add(new TestNode(config.apply(RaftTests.config(id)).build(), MemoryStorage.bootstrap(RaftTests.voters(ids))));
        }
        return c;
    }

    /** Adds a member with an empty disk, as one joining the cluster. */
    TestNode addJoiner(long id) {
        TestNode n = new TestNode(RaftTests.config(id).build(), new MemoryStorage());
        add(n);
        return n;
    }

    TestCluster add(TestNode n) {
        nodes.put(n.id, n);
        return this;
    }

    TestNode node(long id) {
        return nodes.get(id);
    }

    TestNode leader() {
        return nodes.values().stream().filter(n -> n.role() == StateRole.LEADER).findFirst().orElse(null);
    }

    void isolate(long id) {
        isolated.add(id);
    }

    void cut(long a, long b) {
        cutLinks.add(List.of(a, b));
        cutLinks.add(List.of(b, a));
    }

    void dropIf(Predicate<Message> p) {
        drop = p;
    }

    void heal() {
        isolated.clear();
        cutLinks.clear();
        drop = m -> false;
    }

    void campaign(long id) {
        node(id).node.campaign();
        stabilize();
    }

    void propose(long id, String data) {
        node(id).node.propose(ByteString.copyFromUtf8(data));
        stabilize();
    }

    void tick(long id, int ticks) {
        for (int i = 0; i < ticks; i++) {
            node(id).node.tick();
        }
        stabilize();
    }

    /** Ticks every member until one of them has started an election and it has settled. */
    void tickAll(int ticks) {
        for (int i = 0; i < ticks; i++) {
            nodes.values().forEach(n -> n.node.tick());
            stabilize();
        }
    }

    void send(Message... messages) {
        deliver(new ArrayDeque<>(Arrays.asList(messages)));
    }

    /** Delivers everything every member has to send, and what that causes, until quiet. */
    void stabilize() {
        Deque<Message> queue = new ArrayDeque<>();
        nodes.values().forEach(n -> queue.addAll(n.processReady()));
        deliver(queue);
    }

    private void deliver(Deque<Message> queue) {
        while (true) {
            while (!queue.isEmpty()) {
                Message m = queue.poll();
                TestNode to = nodes.get(m.getTo());
                if (to == null || dropped(m)) {
                    continue;
                }
                delivered.add(m);
                to.node.step(m);
                queue.addAll(to.processReady());
            }
            nodes.values().forEach(n -> queue.addAll(n.processReady()));
            if (queue.isEmpty()) {
                return;
            }
        }
    }

    private boolean dropped(Message m) {
        return isolated.contains(m.getFrom()) || isolated.contains(m.getTo())
                || cutLinks.contains(List.of(m.getFrom(), m.getTo())) || drop.test(m);
    }

    List<Message> deliveredOfType(MessageType type) {
        return delivered.stream().filter(m -> m.getType() == type).toList();
    }
}
