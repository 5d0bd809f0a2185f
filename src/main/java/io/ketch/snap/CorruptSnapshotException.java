package io.ketch.snap;

import java.io.IOException;
import java.nio.file.Path;

/** A snapshot file failed verification: its content cannot be trusted (as opposed to an I/O failure). */
public final class CorruptSnapshotException extends IOException {
    public CorruptSnapshotException(Path file, String problem) {
        super("corrupt snapshot " + file + ": " + problem);
    }
}
