package zkit.interop;

// Details is the typed payload of the discovery tests: a Curator
// ServiceDiscovery<Details> with JsonInstanceSerializer<Details> reads and
// writes it with Jackson's "@class" property.
public class Details {
    private String zone;
    private int weight;

    public Details() {}

    public String getZone() { return zone; }
    public void setZone(String zone) { this.zone = zone; }
    public int getWeight() { return weight; }
    public void setWeight(int weight) { this.weight = weight; }
}
