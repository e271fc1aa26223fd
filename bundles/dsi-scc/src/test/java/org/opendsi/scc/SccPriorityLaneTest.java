package org.opendsi.scc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(40)
class SccPriorityLaneTest extends SccTestSupport {

    @Test
    void alarmOvertakesTenMegabytesOfQueuedBulk() throws Exception {
        SccServer server = startServer(fastOptions());
        SccClient client = connectedClient(30, server, fastOptions());
        List<String> arrivals = new CopyOnWriteArrayList<>();
        client.subscribe("bulk", (p, m) -> {
            arrivals.add("B");
            pause(); // a slow consumer: bulk piles up in the hub's queue
        });
        client.subscribe("alarm", (p, m) -> arrivals.add("A"));
        String peer = TestPki.CLUSTER + "/node/30";
        await("subscribed", Duration.ofSeconds(3), () -> server.peer(peer).isPresent());

        JsonNode chunk = payload("data", "x".repeat(100 * 1024));
        List<CompletableFuture<Void>> bulk = new ArrayList<>();
        for (int i = 0; i < 100; i++) { // 10 MB of BULK
            bulk.add(server.publish(peer, "bulk", chunk, SccPriority.BULK));
        }
        CompletableFuture<Void> alarm = server.publish(peer, "alarm", payload("scid", 10), SccPriority.ALARM);
        // bulk messages not yet written when the alarm was queued: the alarm must overtake them
        long queuedBehind = bulk.stream().filter(f -> !f.isDone()).count();
        alarm.get(10, TimeUnit.SECONDS);
        CompletableFuture.allOf(bulk.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        await("all arrived", Duration.ofSeconds(10), () -> arrivals.size() == 101);
        int pos = arrivals.indexOf("A");
        System.out.println("[priority] alarm arrived at position " + pos + " of 101 (after " + pos + " of 100 bulk messages)");
        System.out.println("[priority] " + queuedBehind + " bulk messages were still queued when the alarm was published");
        assertTrue(queuedBehind >= 20, "the scenario queued bulk traffic: " + queuedBehind);
        assertTrue(pos < 100, "alarm arrived before the bulk traffic finished, position " + pos);
        assertTrue(100 - pos >= queuedBehind - 2, "alarm overtook the queued bulk: " + (100 - pos)
                + " bulk arrived after it, " + queuedBehind + " were queued");

        // and in the other direction (spoke -> hub), acknowledged
        List<String> atHub = new CopyOnWriteArrayList<>();
        server.subscribe("up.bulk", (p, m) -> {
            atHub.add("B");
            pause();
        });
        server.subscribe("up.alarm", (p, m) -> atHub.add("A"));
        List<CompletableFuture<Void>> up = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            up.add(client.publish("up.bulk", chunk, SccPriority.BULK));
        }
        CompletableFuture<Void> upAlarm = client.publish("up.alarm", payload("scid", 20), SccPriority.ALARM);
        long upQueued = up.stream().filter(f -> !f.isDone()).count(); // not yet acknowledged (upper bound of queued)
        upAlarm.get(10, TimeUnit.SECONDS);
        CompletableFuture.allOf(up.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        int upPos = atHub.indexOf("A");
        System.out.println("[priority] spoke->hub alarm arrived at position " + upPos + " of 101 (" + upQueued
                + " bulk unacknowledged when it was published)");
        assertTrue(upPos < 100, "position " + upPos);
    }

    private static void pause() {
        try {
            Thread.sleep(3);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void boundedQueuesRejectBulkWhenFullButStillTakeAlarms() throws Exception {
        SccOptions opts = fastOptions().toBuilder().bulkQueueBound(8).alarmQueueBound(4)
                .heartbeatInterval(Duration.ofSeconds(3)).heartbeatTimeout(Duration.ofSeconds(20)).build();
        SccServer server = startServer(opts);
        try (RawPeer p = RawPeer.tls(pki.node(31), server.localAddress().getPort())) {
            p.hello();
            assertEquals("HELLO", p.readFrame(Duration.ofSeconds(3)).path("t").asText());
            String peer = TestPki.CLUSTER + "/node/31";
            await("listed", Duration.ofSeconds(2), () -> server.peer(peer).isPresent());

            // the peer stops reading: socket buffers fill, then the BULK lane fills to its bound
            JsonNode chunk = payload("data", "y".repeat(512 * 1024));
            SccException full = null;
            int accepted = 0;
            for (int i = 0; i < 400 && full == null; i++) {
                CompletableFuture<Void> f = server.publish(peer, "bulk", chunk, SccPriority.BULK);
                if (f.isCompletedExceptionally()) {
                    try {
                        f.join();
                    } catch (Exception e) {
                        full = (SccException) e.getCause();
                    }
                } else {
                    accepted++;
                    Thread.sleep(2);
                }
            }
            assertTrue(full != null, "BULK lane never reported full");
            assertEquals(SccException.QUEUE_FULL, full.code());
            System.out.println("[bounded] BULK refused after " + accepted + " accepted messages of 512 KiB");

            // ALARM has its own bound: alarms are still accepted although BULK is full; they are refused
            // only once 4 of them wait (large alarms, so that the clogged socket cannot absorb them)
            JsonNode bigAlarm = payload("data", "a".repeat(256 * 1024));
            int alarmsAccepted = 0;
            SccException alarmFull = null;
            for (int i = 0; i < 100 && alarmFull == null; i++) {
                CompletableFuture<Void> f = server.publish(peer, "alarm", bigAlarm, SccPriority.ALARM);
                if (f.isCompletedExceptionally()) {
                    try {
                        f.join();
                    } catch (Exception e) {
                        alarmFull = (SccException) e.getCause();
                    }
                } else {
                    alarmsAccepted++;
                }
            }
            assertTrue(alarmFull != null, "ALARM lane never reported full");
            assertEquals(SccException.QUEUE_FULL, alarmFull.code());
            assertTrue(alarmFull.getMessage().startsWith("ALARM"), alarmFull.getMessage());
            assertTrue(alarmsAccepted >= 4, "at least the ALARM bound was accepted: " + alarmsAccepted);
            final int expectedAlarms = alarmsAccepted;

            // the peer reads again: the 4 alarms arrive before the bulk that was still queued
            List<String> order = new ArrayList<>();
            while (order.stream().filter("alarm"::equals).count() < expectedAlarms) {
                JsonNode n = p.readFrame("PUB", Duration.ofSeconds(10));
                order.add(n.path("topic").asText());
            }
            int bulkAfter = 0;
            CompletableFuture<Void> lastBulk = server.publish(peer, "bulk", payload("last", true), SccPriority.BULK);
            while (true) {
                JsonNode n = p.readFrame("PUB", Duration.ofSeconds(10));
                if (n.path("p").has("last")) {
                    break;
                }
                bulkAfter++;
            }
            lastBulk.get(5, TimeUnit.SECONDS);
            System.out.println("[bounded] " + expectedAlarms + " alarms accepted; read " + order.size()
                    + " frames up to the last alarm, " + bulkAfter
                    + " queued bulk frames after them");
            assertTrue(bulkAfter >= 4, "queued bulk frames were still waiting behind the alarms: " + bulkAfter);
        }
    }
}
