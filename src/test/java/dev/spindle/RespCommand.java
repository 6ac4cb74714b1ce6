package dev.spindle;

import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.util.SafeEncoder;

/** Spindle's RESP commands, for Jedis's {@code sendCommand} in tests. */
public enum RespCommand implements ProtocolCommand {
    PING, SUBMIT, GET, WAIT, CANCEL, STATS, QUIT, HELLO;

    @Override
    public byte[] getRaw() {
        return SafeEncoder.encode(name());
    }
}
