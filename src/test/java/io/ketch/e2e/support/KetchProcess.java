package io.ketch.e2e.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Ketch started from its packaged jar (system property {@code ketch.jar}) with the JDK running the tests. */
public final class KetchProcess extends AbstractServerProcess {

    public KetchProcess(ServerSpec spec) {
        super(spec);
    }

    /** java [ketch.e2e.jvmArgs] -jar ketch.jar; fails the test when the jar is missing. */
    public static List<String> executable() {
        return executable(List.of());
    }

    /**
     * java [specJvmArgs] [ketch.e2e.jvmArgs] -jar ketch.jar: the property comes last so that it has
     * the last word on an option given twice (HotSpot takes the last -Xmx).
     */
    static List<String> executable(List<String> specJvmArgs) {
        String jar = System.getProperty("ketch.jar");
        if (jar == null || jar.isBlank()) {
            throw new AssertionError("system property ketch.jar is not set (path of target/quarkus-app/quarkus-run.jar)");
        }
        if (!Files.isRegularFile(Path.of(jar))) {
            throw new AssertionError("ketch.jar does not exist: " + jar + " (package the server first)");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(specJvmArgs);
        String jvmArgs = System.getProperty("ketch.e2e.jvmArgs", "");
        for (String a : jvmArgs.trim().split("\\s+")) {
            if (!a.isEmpty()) {
                cmd.add(a);
            }
        }
        cmd.add("-jar");
        cmd.add(jar);
        return cmd;
    }

    @Override
    public String kind() {
        return "ketch";
    }

    @Override
    protected List<String> launcher() {
        return executable(spec.jvmArgs);
    }
}
