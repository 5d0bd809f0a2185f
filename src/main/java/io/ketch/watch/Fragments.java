package io.ketch.watch;

import io.ketch.pb.etcdserver.WatchResponse;
import java.util.function.Consumer;

/**
 * etcd's sendFragments: a response of a watcher created with fragment=true that is at least
 * maxBytes big and has two or more events is split into several responses, each with as many
 * events as fit under maxBytes (at least one), all but the last marked fragment=true. The
 * client puts them back together.
 */
final class Fragments {
    private Fragments() {}

    static void send(WatchResponse whole, int maxBytes, Consumer<WatchResponse> send) {
        if (whole.getSerializedSize() < maxBytes || whole.getEventsCount() < 2) {
            send.accept(whole);
            return;
        }
        WatchResponse.Builder base = whole.toBuilder().clearEvents().setFragment(true);
        int baseSize = base.build().getSerializedSize();
        int n = whole.getEventsCount();
        int idx = 0;
        while (idx < n) {
            WatchResponse.Builder cur = base.clone();
            // etcd adds events while the response stays under maxBytes; the first always goes in
            int size = baseSize;
            int taken = 0;
            while (idx < n) {
                int evSize = eventFieldSize(whole, idx);
                if (taken > 0 && size + evSize >= maxBytes) {
                    break;
                }
                cur.addEvents(whole.getEvents(idx));
                size += evSize;
                taken++;
                idx++;
            }
            if (idx == n) {
                cur.setFragment(false);
            }
            send.accept(cur.build());
        }
    }

    /** Bytes one event adds to a WatchResponse (field 11: tag, length, message). */
    private static int eventFieldSize(WatchResponse r, int i) {
        return com.google.protobuf.CodedOutputStream.computeMessageSize(11, r.getEvents(i));
    }
}
