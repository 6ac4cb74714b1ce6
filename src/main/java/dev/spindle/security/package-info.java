/**
 * Who may call Spindle, over REST and RESP: API keys and JWTs (Spring Security), roles, protected
 * mode while no credentials are configured, and the per-address limit on failed authentications.
 */
@NullMarked
package dev.spindle.security;

import org.jspecify.annotations.NullMarked;
