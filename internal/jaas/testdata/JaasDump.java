// Test driver for internal/jaas: parses each file named on the command line
// with the JDK's ConfigFile and prints, per file, either
//   ERR
// or, for each section named after the file (comma-separated in argument
// "sections"), lines "section|class|flag|key=value|key=value..." with keys
// sorted, then "END".
import java.io.File;
import java.net.URI;
import java.util.Map;
import java.util.TreeMap;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;
import javax.security.auth.login.AppConfigurationEntry.LoginModuleControlFlag;

public class JaasDump {
    public static void main(String[] args) throws Exception {
        String[] sections = args[0].split(",");
        for (int i = 1; i < args.length; i++) {
            try {
                Configuration c = Configuration.getInstance("JavaLoginConfig",
                        new java.security.URIParameter(new File(args[i]).toURI()));
                for (String s : sections) {
                    AppConfigurationEntry[] es = c.getAppConfigurationEntry(s);
                    if (es == null) continue;
                    for (AppConfigurationEntry e : es) {
                        StringBuilder sb = new StringBuilder();
                        LoginModuleControlFlag f = e.getControlFlag();
                        String flag = f == LoginModuleControlFlag.REQUIRED ? "required"
                            : f == LoginModuleControlFlag.REQUISITE ? "requisite"
                            : f == LoginModuleControlFlag.SUFFICIENT ? "sufficient" : "optional";
                        sb.append(s).append('|').append(e.getLoginModuleName()).append('|').append(flag);
                        for (Map.Entry<String, ?> o : new TreeMap<String, Object>(e.getOptions()).entrySet()) {
                            sb.append('|').append(o.getKey()).append('=').append(o.getValue());
                        }
                        System.out.println(sb);
                    }
                }
            } catch (Exception e) {
                System.out.println("ERR");
            }
            System.out.println("END");
        }
    }
}
