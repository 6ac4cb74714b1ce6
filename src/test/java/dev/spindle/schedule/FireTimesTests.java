package dev.spindle.schedule;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Fire instants across both daylight-saving transitions of 2026 in Europe/Berlin (clocks go from
 * 02:00 CET to 03:00 CEST on 29 March, from 03:00 CEST back to 02:00 CET on 25 October) and in
 * America/New_York (02:00 EST to 03:00 EDT on 8 March, 02:00 EDT back to 01:00 EST on 1 November):
 * a time that does not exist fires once at the first instant after the gap; one that happens twice
 * fires once, at its first occurrence.
 */
class FireTimesTests {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

    private static List<Instant> fires(String cron, ZoneId zone, String after, int count) {
        return FireTimes.of(cron, zone).next(Instant.parse(after), count);
    }

    private static List<Instant> instants(String... texts) {
        return java.util.Arrays.stream(texts).map(Instant::parse).toList();
    }

    @Test
    void halfPastTwoInBerlinFiresAtThreeOnTheDayItDoesNotExistAndOnceOnTheDayItHappensTwice() {
        assertThat(fires("0 30 2 * * *", BERLIN, "2026-03-27T12:00:00Z", 4)).containsExactlyElementsOf(instants(
                "2026-03-28T01:30:00Z", // 02:30 CET
                "2026-03-29T01:00:00Z", // 02:30 does not exist: 03:00 CEST, the first instant after the gap
                "2026-03-30T00:30:00Z", // 02:30 CEST
                "2026-03-31T00:30:00Z"));
        assertThat(fires("0 30 2 * * *", BERLIN, "2026-10-23T12:00:00Z", 4)).containsExactlyElementsOf(instants(
                "2026-10-24T00:30:00Z", // 02:30 CEST
                "2026-10-25T00:30:00Z", // 02:30 CEST, the first of two: not again at 01:30Z (02:30 CET)
                "2026-10-26T01:30:00Z", // 02:30 CET
                "2026-10-27T01:30:00Z"));
    }

    @Test
    void hourlyInBerlinFiresEveryWallClockHourOnce() {
        assertThat(fires("@hourly", BERLIN, "2026-03-28T22:30:00Z", 4)).containsExactlyElementsOf(instants(
                "2026-03-28T23:00:00Z", // 00:00 CET
                "2026-03-29T00:00:00Z", // 01:00 CET
                "2026-03-29T01:00:00Z", // 02:00 does not exist, and 03:00 CEST is the same instant: one fire
                "2026-03-29T02:00:00Z")); // 04:00 CEST
        assertThat(fires("@hourly", BERLIN, "2026-10-24T22:30:00Z", 4)).containsExactlyElementsOf(instants(
                "2026-10-24T23:00:00Z", // 01:00 CEST
                "2026-10-25T00:00:00Z", // 02:00 CEST, the first 02:00
                "2026-10-25T02:00:00Z", // 03:00 CET: the second 02:00 (01:00Z) does not fire again
                "2026-10-25T03:00:00Z"));
    }

    @Test
    void halfPastTwoAndHalfPastOneInNewYork() {
        assertThat(fires("0 30 2 * * *", NEW_YORK, "2026-03-06T12:00:00Z", 3)).containsExactlyElementsOf(instants(
                "2026-03-07T07:30:00Z", // 02:30 EST
                "2026-03-08T07:00:00Z", // 02:30 does not exist: 03:00 EDT
                "2026-03-09T06:30:00Z")); // 02:30 EDT
        // New York repeats 01:00-02:00: 02:30 happens once there, 01:30 twice
        assertThat(fires("0 30 2 * * *", NEW_YORK, "2026-10-30T12:00:00Z", 3)).containsExactlyElementsOf(instants(
                "2026-10-31T06:30:00Z", // 02:30 EDT
                "2026-11-01T07:30:00Z", // 02:30 EST
                "2026-11-02T07:30:00Z"));
        assertThat(fires("0 30 1 * * *", NEW_YORK, "2026-10-31T12:00:00Z", 2)).containsExactlyElementsOf(instants(
                "2026-11-01T05:30:00Z", // 01:30 EDT, the first of two: not again at 06:30Z (01:30 EST)
                "2026-11-02T06:30:00Z"));
    }

    @Test
    void hourlyInNewYorkFiresEveryWallClockHourOnce() {
        assertThat(fires("0 0 * * * *", NEW_YORK, "2026-03-08T04:30:00Z", 4)).containsExactlyElementsOf(instants(
                "2026-03-08T05:00:00Z", // 00:00 EST
                "2026-03-08T06:00:00Z", // 01:00 EST
                "2026-03-08T07:00:00Z", // 02:00 does not exist; 03:00 EDT is the same instant
                "2026-03-08T08:00:00Z")); // 04:00 EDT
        assertThat(fires("0 0 * * * *", NEW_YORK, "2026-11-01T03:30:00Z", 4)).containsExactlyElementsOf(instants(
                "2026-11-01T04:00:00Z", // 00:00 EDT
                "2026-11-01T05:00:00Z", // 01:00 EDT, the first 01:00
                "2026-11-01T07:00:00Z", // 02:00 EST: the second 01:00 (06:00Z) does not fire again
                "2026-11-01T08:00:00Z"));
    }

    @Test
    void aNodeInsideTheRepeatedHourDoesNotFireItsFirstPassAgain() {
        // 01:45Z is 02:45 CET, the second pass: 02:50 CEST (00:50Z) is past, and is not fired again
        assertThat(fires("0 50 2 * * *", BERLIN, "2026-10-25T01:45:00Z", 1))
            .containsExactly(Instant.parse("2026-10-26T01:50:00Z"));
    }

    @Test
    void utcEverySecondAndFiveFieldUnixCron() {
        assertThat(fires("* * * * * *", ZoneId.of("UTC"), "2026-12-04T10:00:00.500Z", 3)).containsExactlyElementsOf(
                instants("2026-12-04T10:00:01Z", "2026-12-04T10:00:02Z", "2026-12-04T10:00:03Z"));
        assertThat(fires("*/15 9 * * 1-5", ZoneId.of("UTC"), "2026-12-04T09:20:00Z", 3)).containsExactlyElementsOf(
                instants("2026-12-04T09:30:00Z", "2026-12-04T09:45:00Z", "2026-12-07T09:00:00Z"));
    }

    @Test
    void anExpressionThatMatchesNoDateHasNoNextFireAndABadOneIsRefused() {
        assertThat(FireTimes.of("0 0 0 30 2 *", BERLIN).next(Instant.parse("2026-01-01T00:00:00Z"))).isNull();
        assertThatThrownBy(() -> FireTimes.of("61 * * * * *", BERLIN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FireTimes.of("not cron", BERLIN)).isInstanceOf(IllegalArgumentException.class);
    }
}
