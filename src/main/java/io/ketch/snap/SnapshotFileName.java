package io.ketch.snap;

import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A snapshot's file name, {@code %016x-%016x.snap} (term, index) as etcd names them. */
record SnapshotFileName(long term, long index) {
    static final String SUFFIX = ".snap";
    private static final Pattern NAME = Pattern.compile("([0-9a-f]{16})-([0-9a-f]{16})\\.snap");

    /** Newest first: by index, then term. */
    static final Comparator<SnapshotFileName> NEWEST_FIRST =
            Comparator.comparingLong(SnapshotFileName::index).thenComparingLong(SnapshotFileName::term).reversed();

    static SnapshotFileName of(SnapshotMeta meta) {
        return new SnapshotFileName(meta.term(), meta.index());
    }

    static SnapshotFileName parse(String fileName) {
        Matcher m = NAME.matcher(fileName);
        if (!m.matches()) {
            return null;
        }
        return new SnapshotFileName(Long.parseUnsignedLong(m.group(1), 16), Long.parseUnsignedLong(m.group(2), 16));
    }

    String fileName() {
        return String.format("%016x-%016x%s", term, index, SUFFIX);
    }

    boolean describes(SnapshotMeta meta) {
        return meta.term() == term && meta.index() == index;
    }
}
