package io.ketch.snap;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/** Streams a snapshot into a file and makes it durable. */
final class SnapshotWriter {
    private SnapshotWriter() {}

    static void write(Path file, SnapshotMeta meta, Iterator<SnapshotRecord> records) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            CRC32C crc = new CRC32C();
            // The checksum sits below the buffer so it is updated in large chunks, not per field.
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                    new CheckedOutputStream(Channels.newOutputStream(channel), crc), SnapshotFormat.IO_BUFFER_BYTES));
            out.writeInt(SnapshotFormat.MAGIC);
            out.writeInt(SnapshotFormat.VERSION);
            out.writeLong(meta.index());
            out.writeLong(meta.term());
            out.writeInt(meta.extra().length);
            out.write(meta.extra());
            long count = 0;
            while (records.hasNext()) {
                SnapshotRecord r = records.next();
                out.writeByte(SnapshotFormat.RECORD_TAG);
                out.writeByte(r.namespace());
                out.writeInt(r.key().length);
                out.write(r.key());
                out.writeInt(r.value().length);
                out.write(r.value());
                count++;
            }
            out.writeByte(SnapshotFormat.END_TAG);
            out.writeLong(count);
            out.flush();
            ByteBuffer checksum = ByteBuffer.allocate(SnapshotFormat.CRC_BYTES).putInt((int) crc.getValue()).flip();
            while (checksum.hasRemaining()) {
                channel.write(checksum);
            }
            channel.force(true);
        }
    }
}
