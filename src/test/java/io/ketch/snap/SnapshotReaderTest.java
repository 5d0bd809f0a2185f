package io.ketch.snap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotReaderTest {
    @TempDir
    Path dir;

    private Path smallSnapshot() throws IOException {
        Path file = dir.resolve("s.snap");
        Files.createFile(file);
        List<SnapshotRecord> records = List.of(
                new SnapshotRecord((byte) 1, new byte[] {1, 2}, new byte[] {3}),
                new SnapshotRecord((byte) 2, new byte[] {4}, new byte[0]));
        SnapshotWriter.write(file, new SnapshotMeta(9, 2, new byte[] {7, 7}), records.iterator());
        return file;
    }

    @Test
    void damageAtAnyByteIsDetectedBeforeAnyRecordIsReturned() throws IOException {
        Path file = smallSnapshot();
        byte[] pristine = Files.readAllBytes(file);
        for (int offset = 0; offset < pristine.length; offset++) {
            byte[] damaged = pristine.clone();
            damaged[offset] ^= 1;
            Files.write(file, damaged);
            int at = offset;
            assertThrows(CorruptSnapshotException.class, () -> SnapshotReader.open(file).close(), () -> "flip at " + at);
        }
        for (int length = 0; length < pristine.length; length++) {
            Files.write(file, java.util.Arrays.copyOf(pristine, length));
            int at = length;
            assertThrows(CorruptSnapshotException.class, () -> SnapshotReader.open(file).close(), () -> "cut at " + at);
        }
        Files.write(file, pristine);
        try (SnapshotReader reader = SnapshotReader.open(file)) {
            List<SnapshotRecord> read = new ArrayList<>();
            reader.forEachRemaining(read::add);
            assertEquals(2, read.size());
        }
    }

    @Test
    void fileLayoutIsTheDocumentedOne() throws IOException {
        // Built by hand from the format in package-info, to pin it.
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(0x4b534e50);
        out.writeInt(1);
        out.writeLong(9);
        out.writeLong(2);
        out.writeInt(2);
        out.write(new byte[] {7, 7});
        out.writeByte(1);
        out.writeByte(1);
        out.writeInt(2);
        out.write(new byte[] {1, 2});
        out.writeInt(1);
        out.write(new byte[] {3});
        out.writeByte(1);
        out.writeByte(2);
        out.writeInt(1);
        out.write(new byte[] {4});
        out.writeInt(0);
        out.writeByte(0);
        out.writeLong(2);
        CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        out.writeInt((int) crc.getValue());
        byte[] expected = bytes.toByteArray();
        assertEquals(ByteBuffer.wrap(expected), ByteBuffer.wrap(Files.readAllBytes(smallSnapshot())));
    }

    @Test
    void validChecksumOverInconsistentContentIsStillRejected() throws IOException {
        // A writer bug (count disagreeing with the records) must not pass as a good snapshot.
        Path file = dir.resolve("bad.snap");
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(0x4b534e50);
        out.writeInt(1);
        out.writeLong(1);
        out.writeLong(1);
        out.writeInt(0);
        out.writeByte(0);
        out.writeLong(5); // claims five records, has none
        CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        out.writeInt((int) crc.getValue());
        try (OutputStream o = Files.newOutputStream(file)) {
            o.write(bytes.toByteArray());
        }
        try (SnapshotReader reader = SnapshotReader.open(file)) {
            java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class, reader::hasNext);
            assertEquals(CorruptSnapshotException.class, e.getCause().getClass());
        }
    }
}
