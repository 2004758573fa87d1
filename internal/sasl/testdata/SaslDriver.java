// Test driver for internal/sasl: runs the JDK's DIGEST-MD5 SaslServer or
// SaslClient and exchanges tokens over stdin/stdout, one base64 line each
// ("-" for an empty or null token).
//
//   java SaslDriver server <protocol> <serverName> <user> <password>
//   java SaslDriver client <protocol> <serverName> <authzid|-> <user> <password>
//
// Output lines: "TOKEN <b64>", then "DONE <authorizationID>" (server) or
// "DONE" (client), or "ERR <message>" on a SaslException.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.Base64;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.sasl.AuthorizeCallback;
import javax.security.sasl.RealmCallback;
import javax.security.sasl.Sasl;
import javax.security.sasl.SaslClient;
import javax.security.sasl.SaslException;
import javax.security.sasl.SaslServer;

public class SaslDriver {
    static String enc(byte[] b) {
        return (b == null || b.length == 0) ? "-" : Base64.getEncoder().encodeToString(b);
    }

    static byte[] dec(String s) {
        return s.equals("-") ? new byte[0] : Base64.getDecoder().decode(s);
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        try {
            if (args[0].equals("server")) {
                final String user = args[3], password = args[4];
                CallbackHandler cbh = (Callback[] cbs) -> {
                    String name = null;
                    for (Callback cb : cbs) {
                        if (cb instanceof NameCallback) {
                            NameCallback nc = (NameCallback) cb;
                            name = nc.getDefaultName();
                            nc.setName(name);
                        } else if (cb instanceof PasswordCallback) {
                            if (user.equals(name)) {
                                ((PasswordCallback) cb).setPassword(password.toCharArray());
                            }
                        } else if (cb instanceof RealmCallback) {
                            RealmCallback rc = (RealmCallback) cb;
                            rc.setText(rc.getDefaultText());
                        } else if (cb instanceof AuthorizeCallback) {
                            AuthorizeCallback ac = (AuthorizeCallback) cb;
                            ac.setAuthorized(true);
                            ac.setAuthorizedID(ac.getAuthorizationID());
                        }
                    }
                };
                SaslServer s = Sasl.createSaslServer("DIGEST-MD5", args[1], args[2], null, cbh);
                while (!s.isComplete()) {
                    String line = in.readLine();
                    if (line == null) return;
                    byte[] out = s.evaluateResponse(dec(line));
                    System.out.println("TOKEN " + enc(out));
                    System.out.flush();
                }
                System.out.println("DONE " + s.getAuthorizationID());
            } else {
                final String authzid = args[3].equals("-") ? null : args[3];
                final String password = args[5];
                final String user = args[4];
                CallbackHandler cbh = (Callback[] cbs) -> {
                    for (Callback cb : cbs) {
                        if (cb instanceof NameCallback) {
                            ((NameCallback) cb).setName(user);
                        } else if (cb instanceof PasswordCallback) {
                            ((PasswordCallback) cb).setPassword(password.toCharArray());
                        } else if (cb instanceof RealmCallback) {
                            RealmCallback rc = (RealmCallback) cb;
                            rc.setText(rc.getDefaultText());
                        }
                    }
                };
                SaslClient c = Sasl.createSaslClient(new String[] {"DIGEST-MD5"}, authzid, args[1], args[2], null, cbh);
                while (true) {
                    String line = in.readLine();
                    if (line == null) return;
                    byte[] out = c.evaluateChallenge(dec(line));
                    if (c.isComplete()) {
                        System.out.println("DONE");
                        System.out.flush();
                        return;
                    }
                    System.out.println("TOKEN " + enc(out));
                    System.out.flush();
                }
            }
        } catch (SaslException e) {
            System.out.println("ERR " + e.getMessage());
            System.out.flush();
        }
    }
}
