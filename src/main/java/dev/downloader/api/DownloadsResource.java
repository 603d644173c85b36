package dev.downloader.api;

import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.downloader.DownloadJob;
import dev.downloader.DownloadJobs;
import dev.downloader.state.DownloadState;
import dev.downloader.state.DownloadStatus;
import dev.downloader.state.DownloadStore;
import dev.downloader.watch.ProgressEvents;

/**
 * The status and cancel API: {@code GET /downloads/{id}}, {@code GET /downloads?state=&page=&size=} and
 * {@code DELETE /downloads/{id}}. Errors are JSON too: {@code {"error": "...", "id": "..."}}.
 */
@Path("/downloads")
@Produces(MediaType.APPLICATION_JSON)
public class DownloadsResource {

    static final int MAX_PAGE_SIZE = 500;

    private final DownloadStore store;
    private final DownloadJobs jobs;
    private final ProgressEvents progress;
    private final Cancellations cancellations;
    private final ObjectMapper mapper;

    public DownloadsResource(DownloadStore store, DownloadJobs jobs, ProgressEvents progress,
            Cancellations cancellations, ObjectMapper mapper) {
        this.store = store;
        this.jobs = jobs;
        this.progress = progress;
        this.cancellations = cancellations;
        this.mapper = mapper;
    }

    /** A download: its state, its live progress while it runs on this node, and its result or error once it ended. */
    @GET
    @Path("{id}")
    public Response get(@PathParam("id") String id) throws SQLException {
        DownloadStatus status = store.status(id);
        if (status == null) {
            return unknown(id);
        }
        ObjectNode view = summary(status);
        if (status.outcomeJson() != null) {
            try {
                ObjectNode outcome = (ObjectNode) mapper.readTree(status.outcomeJson());
                if (status.state() == DownloadState.COMPLETED) {
                    view.set("result", outcome);
                } else {
                    view.set("error", outcome.path("error"));
                }
            } catch (JsonProcessingException | ClassCastException e) {
                throw new IllegalStateException("the recorded outcome of " + id + " is not a JSON object", e);
            }
        }
        return Response.ok(view.toString()).build();
    }

    /** A page of downloads, the newest first, in one state or all. */
    @GET
    public Response list(@QueryParam("state") String state, @QueryParam("page") @DefaultValue("0") int page,
            @QueryParam("size") @DefaultValue("50") int size) throws SQLException {
        DownloadState only = null;
        if (state != null && !state.isBlank()) {
            try {
                only = DownloadState.valueOf(state.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                return error(Response.Status.BAD_REQUEST, "state must be one of " + Arrays.toString(DownloadState.values()),
                        null);
            }
        }
        if (page < 0 || size < 1 || size > MAX_PAGE_SIZE) {
            return error(Response.Status.BAD_REQUEST, "page must be 0 or more, size between 1 and " + MAX_PAGE_SIZE,
                    null);
        }
        ObjectNode body = mapper.createObjectNode().put("page", page).put("size", size);
        if (only != null) {
            body.put("state", only.name());
        }
        ArrayNode items = body.putArray("items");
        for (DownloadStatus status : store.list(only, page * size, size)) {
            items.add(summary(status));
        }
        return Response.ok(body.toString()).build();
    }

    /**
     * Cancels a queued, parked or running download: it ends as one CANCELLED dead letter. 409 when it had already
     * ended.
     */
    @DELETE
    @Path("{id}")
    public Response cancel(@PathParam("id") String id) throws SQLException {
        DownloadStatus status = store.status(id);
        if (status == null) {
            return unknown(id);
        }
        DownloadState was = status.state().ended() ? null : cancellations.cancel(id);
        if (was == null) {
            DownloadStatus now = store.status(id);
            return error(Response.Status.CONFLICT, "the download has already ended: " + now.state(), id);
        }
        return Response.ok(mapper.createObjectNode().put("id", id).put("state", DownloadState.CANCELLED.name())
                .put("was", was.name()).toString()).build();
    }

    /** The row, with the live progress of a download running on this node (null elsewhere or otherwise). */
    private ObjectNode summary(DownloadStatus status) {
        ObjectNode view = mapper.createObjectNode()
                .put("id", status.id())
                .put("state", status.state().name())
                .put("node", status.ownerNode())
                .put("attempts", status.attempts());
        put(view, "createdAt", status.createdAt());
        put(view, "startedAt", status.startedAt());
        put(view, "endedAt", status.endedAt());
        DownloadJob job = status.state() == DownloadState.RUNNING ? jobs.runningJob(status.id()) : null;
        if (job != null && job.ledger() != null) {
            view.set("progress", progress.now(job));
        } else {
            view.putNull("progress");
        }
        return view;
    }

    private static void put(ObjectNode view, String name, Instant at) {
        if (at == null) {
            view.putNull(name);
        } else {
            view.put(name, at.toString());
        }
    }

    private Response unknown(String id) {
        return error(Response.Status.NOT_FOUND, "no download with this id", id);
    }

    private Response error(Response.Status status, String message, String id) {
        ObjectNode body = mapper.createObjectNode().put("error", message);
        if (id != null) {
            body.put("id", id);
        }
        return Response.status(status).entity(body.toString()).type(MediaType.APPLICATION_JSON).build();
    }
}
