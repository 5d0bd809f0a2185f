package io.ketch.wal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A segment's identity, encoded in its file name {@code %016x-%016x.wal} like etcd's.
 *
 * @param seq position in the chain of segments; consecutive segments have consecutive numbers
 * @param firstIndex {@code lastIndex + 1} at the moment the segment was started. Invariant relied on by
 *     {@link Wal#releaseTo}: every live (not overwritten) entry in earlier segments has an index below it.
 */
record SegmentName(long seq, long firstIndex) {
    private static final Pattern NAME = Pattern.compile("([0-9a-f]{16})-([0-9a-f]{16})\\.wal");

    String fileName() {
        return String.format("%016x-%016x.wal", seq, firstIndex);
    }

    static SegmentName parse(String fileName) {
        Matcher m = NAME.matcher(fileName);
        if (!m.matches()) {
            return null;
        }
        return new SegmentName(Long.parseUnsignedLong(m.group(1), 16), Long.parseUnsignedLong(m.group(2), 16));
    }

    /** The segments in {@code dir}, oldest first; fails if a segment is missing from the middle of the chain. */
    static List<SegmentName> list(Path dir) throws IOException {
        List<SegmentName> names = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.wal")) {
            for (Path file : files) {
                SegmentName name = parse(file.getFileName().toString());
                if (name == null) {
                    throw new IOException("unexpected file in WAL directory: " + file);
                }
                names.add(name);
            }
        }
        names.sort(Comparator.comparingLong(SegmentName::seq));
        for (int i = 1; i < names.size(); i++) {
            if (names.get(i).seq() != names.get(i - 1).seq() + 1) {
                throw new IOException("WAL segment chain is broken in " + dir + ": " + names.get(i - 1).fileName()
                        + " is followed by " + names.get(i).fileName() + " (missing segment)");
            }
        }
        return names;
    }
}
