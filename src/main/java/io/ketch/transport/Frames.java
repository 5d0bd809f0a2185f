package io.ketch.transport;

import com.google.protobuf.CodedOutputStream;
import io.ketch.pb.raft.Message;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.parsetools.RecordParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/** The frame format: a 4-byte big-endian length, then a serialized {@link Message}. */
final class Frames {
    /** The largest frame accepted on the stream (a MsgApp of large entries fits easily). */
    static final int MAX_FRAME_BYTES = 64 * 1024 * 1024;

    private Frames() {
    }

    /** Length-prefixed frames of {@code messages}, in one buffer. */
    static Buffer encode(List<Message> messages) {
        int total = 0;
        int[] sizes = new int[messages.size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = messages.get(i).getSerializedSize();
            total += 4 + sizes[i];
        }
        byte[] out = new byte[total];
        ByteBuffer bb = ByteBuffer.wrap(out);
        int off = 0;
        try {
            for (int i = 0; i < sizes.length; i++) {
                bb.putInt(off, sizes[i]);
                off += 4;
                CodedOutputStream cos = CodedOutputStream.newInstance(out, off, sizes[i]);
                messages.get(i).writeTo(cos);
                cos.checkNoSpaceLeft();
                off += sizes[i];
            }
        } catch (IOException e) {
            throw new IllegalStateException("serializing a Raft message", e);
        }
        return Buffer.buffer(out);
    }

    /**
     * A handler for a stream of frames: hands each frame's payload (still serialized) to
     * {@code onFrame}, and a length outside 0..{@link #MAX_FRAME_BYTES} to {@code onBadLength}
     * (whose caller is expected to close the connection).
     */
    static Handler<Buffer> decoder(Consumer<byte[]> onFrame, IntConsumer onBadLength) {
        RecordParser parser = RecordParser.newFixed(4);
        int[] expecting = {-1};
        parser.handler(buf -> {
            if (expecting[0] < 0) {
                int n = buf.getInt(0);
                if (n < 0 || n > MAX_FRAME_BYTES) {
                    onBadLength.accept(n);
                    return;
                }
                if (n > 0) {
                    expecting[0] = n;
                    parser.fixedSizeMode(n);
                    return;
                }
                onFrame.accept(new byte[0]);
                return;
            }
            expecting[0] = -1;
            parser.fixedSizeMode(4);
            onFrame.accept(buf.getBytes());
        });
        return parser;
    }
}
