package dev.downloader;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.camel.component.quartz.QuartzComponent;
import org.apache.camel.spi.CamelEvent;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;

/**
 * When the node begins to stop, Quartz fires no more and the jobs it is running end, before Camel stops any route.
 * Left to Camel, a job that fired while its route was being suspended ran into a stopping error handler, and
 * Quartz's {@code CamelJob} logged a stack trace ({@code RejectedExecutionException}) at such a shutdown.
 */
@ApplicationScoped
class ScheduledWorkStop {

    void stopFiring(@Observes CamelEvent.CamelContextStoppingEvent stopping) throws SchedulerException {
        QuartzComponent quartz = (QuartzComponent) stopping.getContext().getComponent("quartz", false);
        Scheduler scheduler = quartz == null ? null : quartz.getScheduler();
        if (scheduler != null) {
            // true: waits for the running jobs, which still find every route up
            scheduler.shutdown(true);
        }
    }
}
