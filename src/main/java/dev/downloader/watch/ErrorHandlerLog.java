package dev.downloader.watch;

import jakarta.inject.Named;
import jakarta.inject.Singleton;

import org.apache.camel.LoggingLevel;
import org.apache.camel.processor.errorhandler.DefaultErrorHandler;
import org.apache.camel.spi.CamelLogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The logger of the retrying error handlers (routes/30-fetch.yaml, routes/40-outcome.yaml): each line at the level its
 * policy asks for. Camel's own (4.14) logs a line at a given level by setting that level on the logger it shares
 * between the route's threads, logging, and setting the old level back. Two lanes logging a retry at the same instant
 * could then log the second at the level the first had just put back (ERROR, the logger's default): an expected retry
 * came out at ERROR in CI. This one sets no level: each line goes out at the level it is logged with.
 */
@Singleton
@Named("errorHandlerLog")
public class ErrorHandlerLog extends CamelLogger {

    public ErrorHandlerLog() {
        this(LoggerFactory.getLogger(DefaultErrorHandler.class));
    }

    ErrorHandlerLog(Logger log) {
        super(log, LoggingLevel.ERROR);
    }

    @Override
    public void log(String message, LoggingLevel level) {
        if (shouldLog(getLog(), level)) {
            log(getLog(), level, message);
        }
    }
}
