package io.ketch.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ketch.membership.MembershipStore;
import io.ketch.snap.SnapshotMeta;
import io.ketch.snap.SnapshotRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Installing a leader's snapshot is atomic across a crash: the file is put in place first, then
 * the WAL records it. A crash between the two must restart from the old state (the file is above
 * what the WAL knows to be committed), a crash after from the new one.
 */
class SnapshotInstallRecoveryTest {
    private static final byte[] KEY = {0, 0, 0, 0, 0, 0, 0, 42};
    private static final byte[] VALUE = {7};

    @Test
    void aSnapshotFileTheWalDoesNotRecordIsIgnoredAndOneItRecordsIsLoaded(@TempDir Path dir) throws Exception {
        // a member's files, with a snapshot at index 50 put in place as an installation does
        try (MemberStorage storage = MemberStorage.open(dir, Optional.empty())) {
            storage.snapshotter().save(new SnapshotMeta(50, 2, new byte[0]), List.of(
                    new SnapshotRecord(BackendSnapshot.namespace(MembershipStore.BUCKET), KEY, VALUE)).iterator());
        }
        Path db = dir.resolve("member").resolve("db");

        // crash before the WAL records it: the backend is rebuilt without it
        Files.delete(db);
        try (MemberStorage storage = MemberStorage.open(dir, Optional.empty())) {
            assertNull(storage.backend().get(MembershipStore.BUCKET, KEY), "state from an unrecorded snapshot");
            assertEquals(0, storage.replay().snapshot().index());
        }

        // the WAL records it: from now on a start rebuilds the store from it
        MemberStorage.recordInstalledSnapshot(dir, Optional.empty(), 50, 2);
        Files.delete(db);
        try (MemberStorage storage = MemberStorage.open(dir, Optional.empty())) {
            assertArrayEquals(VALUE, storage.backend().get(MembershipStore.BUCKET, KEY));
            assertEquals(50, storage.replay().snapshot().index());
            assertEquals(50, storage.replay().hardState().commit());
        }
    }
}
