package naming

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/google/uuid"
	"github.com/zkit-go/zkit/recipes"
)

// Errors returned by this package.
var (
	// ErrClosed is returned by calls on a closed Discovery or Provider.
	ErrClosed = errors.New("naming: closed")
	// ErrNoInstances is returned by Provider.Instance when the service has
	// no enabled instance.
	ErrNoInstances = errors.New("naming: no instances")
	// ErrBadName is returned for an empty or malformed service name or id.
	ErrBadName = errors.New("naming: invalid service name or id")
	// ErrNotRegistered is returned by Update and Unregister for an
	// instance this Discovery did not register.
	ErrNotRegistered = errors.New("naming: instance not registered here")
)

// Service types, as Curator names them.
const (
	Dynamic           = "DYNAMIC"            // ephemeral node, gone with the session
	Static            = "STATIC"             // persistent node, Curator's static instances
	Permanent         = "PERMANENT"          // persistent node that survives Unregister by Close
	DynamicSequential = "DYNAMIC_SEQUENTIAL" // not used by this package
)

// Instance is one instance of a service, stored as JSON in the node
// <base>/<name>/<id>. The field names are those of curator-x-discovery's
// ServiceInstance, so Java and Go can discover each other; Metadata is
// this package's addition, which Curator's serializer ignores (it does not
// fail on unknown properties), and Payload is Curator's user payload,
// passed through as raw JSON.
//
// A Curator ServiceDiscovery<T> with a payload class T (JsonInstanceSerializer
// of T) reads the payload with Jackson's default typing: the payload must
// be a JSON object naming its Java class in an "@class" property, or
// Curator fails with a ClassCastException and cannot list the service at
// all. Set PayloadClass (or use SetPayload) for such services: it is
// written into the payload as "@class" and read back from it.
type Instance struct {
	Name                string            `json:"name"`
	ID                  string            `json:"id"`
	Address             string            `json:"address"`
	Port                int               `json:"port,omitempty"`
	SSLPort             int               `json:"sslPort,omitempty"`
	Payload             json.RawMessage   `json:"payload,omitempty"`
	RegistrationTimeUTC int64             `json:"registrationTimeUTC"`
	ServiceType         string            `json:"serviceType"`
	URISpec             json.RawMessage   `json:"uriSpec,omitempty"`
	Enabled             bool              `json:"enabled"`
	Metadata            map[string]string `json:"metadata,omitempty"`
	// PayloadClass is the Java class of Payload for Curator's typed
	// discovery (for example "com.example.InstanceDetails"), stored as the
	// payload's "@class" property; empty for an untyped payload. Payload
	// must then be a JSON object; its own "@class", if any, must agree.
	PayloadClass string `json:"-"`
}

// NewInstance returns an enabled dynamic instance with a random id.
func NewInstance(address string, port int) Instance {
	return Instance{ID: uuid.NewString(), Address: address, Port: port, ServiceType: Dynamic, Enabled: true}
}

// UnmarshalJSON reads Curator's JSON; a missing "enabled" (written before
// Curator had it) means enabled.
func (in *Instance) UnmarshalJSON(b []byte) error {
	type plain Instance
	p := plain{Enabled: true}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*in = Instance(p)
	in.PayloadClass = payloadClass(in.Payload)
	return nil
}

func validName(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if r == '/' || r == 0 {
			return false
		}
	}
	return true
}

// Discovery registers instances under a base path and finds them
// (curator-x-discovery's ServiceDiscovery).
//
// Suspended: registrations are probably still there; nothing is done.
// Lost: dynamic instances' nodes are gone with the session. On every
// Reconnected, Discovery checks each instance it registered and writes it
// again if its node is missing or belongs to an old session, as Curator
// does; until then other clients do not see it.
type Discovery struct {
	c    *recipes.Client
	base string

	ctx      context.Context // cancelled by Close
	cancel   context.CancelFunc
	wake     chan struct{} // capacity 1: re-register
	done     chan struct{} // closed when the re-register goroutine ends
	unlisten func()

	mu         sync.Mutex          // guards registered and closed
	registered map[string]Instance // by id
	closed     bool
}

// NewDiscovery returns a Discovery for services under base (for example
// "/services"). It starts one goroutine, ended by Close.
func NewDiscovery(c *recipes.Client, base string) *Discovery {
	ctx, cancel := context.WithCancel(context.Background())
	d := &Discovery{c: c, base: base, ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), done: make(chan struct{}), registered: map[string]Instance{}}
	d.unlisten = c.Listen(func(s recipes.State) {
		if s == recipes.Reconnected {
			select {
			case d.wake <- struct{}{}:
			default:
			}
		}
	})
	go d.reregisterLoop()
	return d
}

func (d *Discovery) path(name, id string) string {
	return recipes.JoinPath(recipes.JoinPath(d.base, name), id)
}

// Register writes inst as service name: an ephemeral node for Dynamic
// (the default when ServiceType is empty), a persistent one otherwise. An
// empty ID gets a random one, a zero RegistrationTimeUTC the current time.
// It returns the instance as registered.
func (d *Discovery) Register(ctx context.Context, name string, inst Instance) (Instance, error) {
	if !validName(name) {
		return Instance{}, ErrBadName
	}
	if inst.ID == "" {
		inst.ID = uuid.NewString()
	}
	if !validName(inst.ID) {
		return Instance{}, ErrBadName
	}
	inst.Name = name
	if inst.ServiceType == "" {
		inst.ServiceType = Dynamic
	}
	if inst.RegistrationTimeUTC == 0 {
		inst.RegistrationTimeUTC = time.Now().UnixMilli()
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return Instance{}, ErrClosed
	}
	d.registered[inst.ID] = inst
	d.mu.Unlock()
	if err := d.write(ctx, inst); err != nil {
		d.mu.Lock()
		delete(d.registered, inst.ID)
		d.mu.Unlock()
		return Instance{}, err
	}
	return inst, nil
}

// write creates inst's node, replacing one of an old session or with old
// data.
func (d *Discovery) write(ctx context.Context, inst Instance) error {
	data, err := json.Marshal(inst)
	if err != nil {
		return fmt.Errorf("naming: %w", err)
	}
	p := d.path(inst.Name, inst.ID)
	flags := int32(zk.FlagEphemeral)
	if inst.ServiceType != Dynamic {
		flags = zk.FlagPersistent
	}
	for {
		_, err := d.c.CreateWithParents(ctx, p, data, flags, nil)
		if err == nil {
			return nil
		}
		if !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("naming: register %s: %w", p, err)
		}
		cur, st, err := d.c.Get(ctx, p)
		if errors.Is(err, zk.ErrNoNode) {
			continue
		}
		if err != nil {
			return fmt.Errorf("naming: register %s: %w", p, err)
		}
		mine := flags == zk.FlagPersistent || st.EphemeralOwner == d.c.Session().ID
		if mine && string(cur) == string(data) {
			return nil
		}
		if mine {
			if _, err := d.c.Set(ctx, p, data, st.Version); err == nil || !errors.Is(err, zk.ErrBadVersion) {
				if err != nil {
					return fmt.Errorf("naming: register %s: %w", p, err)
				}
				return nil
			}
			continue
		}
		// An old session's node: delete it and create ours, as Curator does.
		if err := d.c.Delete(ctx, p, st.Version); err != nil && !errors.Is(err, zk.ErrNoNode) && !errors.Is(err, zk.ErrBadVersion) {
			return fmt.Errorf("naming: register %s: %w", p, err)
		}
	}
}

func (d *Discovery) reregisterLoop() {
	defer close(d.done)
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-d.wake:
		}
		d.mu.Lock()
		insts := make([]Instance, 0, len(d.registered))
		for _, in := range d.registered {
			insts = append(insts, in)
		}
		d.mu.Unlock()
		for _, in := range insts {
			d.mu.Lock()
			_, still := d.registered[in.ID]
			d.mu.Unlock()
			if !still {
				continue
			}
			// A failure here waits for the next Reconnected.
			if d.write(d.ctx, in) != nil {
				continue
			}
			// Unregister may have run while we wrote: it deleted the node
			// before our write put it back. Take it away again.
			d.mu.Lock()
			_, still = d.registered[in.ID]
			d.mu.Unlock()
			if !still {
				// If this fails too, a dynamic instance's node still goes
				// with the session.
				_ = d.c.Delete(d.ctx, d.path(in.Name, in.ID), -1)
			}
		}
	}
}

// Update replaces a registered instance's data.
func (d *Discovery) Update(ctx context.Context, inst Instance) error {
	d.mu.Lock()
	old, ok := d.registered[inst.ID]
	if ok {
		inst.Name, inst.RegistrationTimeUTC = old.Name, old.RegistrationTimeUTC
		if inst.ServiceType == "" {
			inst.ServiceType = old.ServiceType
		}
		d.registered[inst.ID] = inst
	}
	d.mu.Unlock()
	if !ok {
		return ErrNotRegistered
	}
	return d.write(ctx, inst)
}

// Unregister deletes a registered instance's node.
func (d *Discovery) Unregister(ctx context.Context, id string) error {
	d.mu.Lock()
	inst, ok := d.registered[id]
	delete(d.registered, id)
	d.mu.Unlock()
	if !ok {
		return ErrNotRegistered
	}
	if err := d.c.Delete(ctx, d.path(inst.Name, id), -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("naming: unregister: %w", err)
	}
	return nil
}

// Names lists the services that have (or had) instances.
func (d *Discovery) Names(ctx context.Context) ([]string, error) {
	names, _, err := d.c.Children(ctx, d.base)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("naming: %w", err)
	}
	sort.Strings(names)
	return names, nil
}

// Instances reads the instances of a service from ZooKeeper, sorted by
// id. Nodes whose data is not an Instance are skipped. For repeated
// lookups use a ServiceCache or a Provider.
func (d *Discovery) Instances(ctx context.Context, name string) ([]Instance, error) {
	if !validName(name) {
		return nil, ErrBadName
	}
	svc := recipes.JoinPath(d.base, name)
	ids, _, err := d.c.Children(ctx, svc)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("naming: %w", err)
	}
	sort.Strings(ids)
	out := make([]Instance, 0, len(ids))
	for _, id := range ids {
		data, _, err := d.c.Get(ctx, recipes.JoinPath(svc, id))
		if errors.Is(err, zk.ErrNoNode) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("naming: %w", err)
		}
		var in Instance
		if json.Unmarshal(data, &in) == nil {
			out = append(out, in)
		}
	}
	return out, nil
}

// Close stops re-registering and deletes the nodes of the dynamic and
// static instances this Discovery registered (Permanent ones stay), as
// Curator's close does. Deleting is bounded by ctx and by closeTimeout;
// nodes of dynamic instances go with the session anyway.
func (d *Discovery) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, closeTimeout)
	defer cancel()
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	insts := make([]Instance, 0, len(d.registered))
	for _, in := range d.registered {
		insts = append(insts, in)
	}
	d.registered = map[string]Instance{}
	d.mu.Unlock()
	d.unlisten()
	d.cancel()
	<-d.done
	var errs []error
	for _, in := range insts {
		if in.ServiceType == Permanent {
			continue
		}
		if err := d.c.Delete(ctx, d.path(in.Name, in.ID), -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// closeTimeout bounds the deletes made by Discovery.Close.
const closeTimeout = 10 * time.Second

// UniqueName makes a name no other call with the same parent and prefix
// returns: it creates the persistent sequential node <parent>/<prefix>N
// holding data, and returns "<prefix>N" (N is ZooKeeper's 10-digit
// counter, so names sort in creation order). The node is created with
// protection against a lost reply (its node name carries
// recipes.CreateProtected's prefix; the returned name does not), so one
// call makes one name. Delete the node when the name is no longer needed;
// the counter never goes back, so names are not reused while the parent
// exists.
func UniqueName(ctx context.Context, c *recipes.Client, parent, prefix string, data []byte) (name, path string, err error) {
	if !validName(prefix) {
		return "", "", ErrBadName
	}
	p, err := c.CreateProtected(ctx, recipes.JoinPath(parent, prefix), data, zk.FlagSequence, nil)
	if err != nil {
		return "", "", fmt.Errorf("naming: %w", err)
	}
	_, node := recipes.SplitPath(p)
	return recipes.NormalizeProtected(node), p, nil
}
