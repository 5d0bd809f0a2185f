package io.ketch.api;

import io.ketch.server.KetchServer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/** The member's state for SmallRye Health ({@code /q/health/live}, {@code /q/health/ready}). */
@ApplicationScoped
public class MemberHealthCheck {
    @Inject
    KetchServer server;

    @Liveness
    HealthCheck live() {
        return () -> HealthCheckResponse.up("ketch");
    }

    @Readiness
    HealthCheck ready() {
        return () -> HealthCheckResponse.named("ketch-member").status(server.ready())
                .withData("revision", server.ready() ? server.store().currentRevision() : -1).build();
    }
}
