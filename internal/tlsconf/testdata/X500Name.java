// Prints what Java makes of X.500 names, for zkit's tests: for each PEM
// certificate file given, its subject's X500Principal.getName() (RFC 2253),
// one per line; with "-valid" first, whether each following argument is a
// name X500Principal accepts ("true"/"false"), one per line.
import java.io.FileInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.security.auth.x500.X500Principal;

public class X500Name {
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("-valid")) {
            for (int i = 1; i < args.length; i++) {
                boolean ok;
                try {
                    new X500Principal(args[i]);
                    ok = true;
                } catch (IllegalArgumentException e) {
                    ok = false;
                }
                System.out.println(ok);
            }
            return;
        }
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        for (String path : args) {
            try (FileInputStream in = new FileInputStream(path)) {
                X509Certificate c = (X509Certificate) cf.generateCertificate(in);
                System.out.println(c.getSubjectX500Principal().getName());
            }
        }
    }
}
