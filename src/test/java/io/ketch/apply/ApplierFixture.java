package io.ketch.apply;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * For an applier test class: a fresh {@link ApplierHarness} on a store in its own temporary
 * directory for each test, closed after it. JUnit runs these callbacks before a subclass's
 * {@code @BeforeEach} and after its {@code @AfterEach}.
 */
abstract class ApplierFixture {

    @TempDir
    Path dir;

    ApplierHarness h;

    @BeforeEach
    void openHarness() {
        h = new ApplierHarness(dir.resolve("db"));
    }

    @AfterEach
    void closeHarness() {
        h.close();
    }
}
