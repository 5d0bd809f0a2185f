package io.ketch.maint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real etcdctl (v3 API) against one endpoint. */
final class Etcdctl {
    /** What a command printed and returned. */
    record Result(int exit, String out, String err) {
        /** The error line etcdctl prints ("Error: ..."), without its retry-interceptor log lines. */
        String errorLine() {
            return err.lines().filter(l -> l.startsWith("Error:") || l.startsWith("Failed")).findFirst().orElse("");
        }
    }

    private Etcdctl() {}

    static Result run(String endpoint, String... args) {
        return runWithInput(endpoint, null, args);
    }

    /** Runs with stdin from a file (etcdctl put reads the value from stdin when it is not given). */
    static Result runWithInput(String endpoint, Path stdin, String... args) {
        List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints", endpoint, "--command-timeout", "30s"));
        cmd.addAll(List.of(args));
        try {
            Path out = Files.createTempFile("etcdctl", ".out");
            Path err = Files.createTempFile("etcdctl", ".err");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().keySet().removeIf(k -> k.startsWith("ETCDCTL"));
            pb.environment().put("ETCDCTL_API", "3");
            if (stdin != null) {
                pb.redirectInput(stdin.toFile());
            } else {
                pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            }
            Process p = pb.start();
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("etcdctl hung: " + cmd);
            }
            Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
            Files.delete(out);
            Files.delete(err);
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
