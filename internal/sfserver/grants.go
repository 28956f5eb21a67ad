package sfserver

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Grants as a real account keeps them (docs.snowflake.com: GRANT <privileges>,
// SHOW GRANTS, ALTER TABLE ... SWAP WITH, CREATE TABLE ... COPY GRANTS, and
// "Cloning considerations"):
//   - a privilege is granted on an object to a role, and follows the object:
//     RENAME keeps it, SWAP WITH exchanges the two tables' grants, DROP ends it;
//   - CREATE OR REPLACE TABLE makes a new object with no grants but its owner's,
//     plus the schema's future grants; with COPY GRANTS it keeps every grant of
//     the table it replaces except OWNERSHIP;
//   - the role that creates an object owns it (OWNERSHIP);
//   - a cloned database's child objects keep their sources' grants; the clone
//     itself does not keep the source database's.
// The double records grants, answers SHOW GRANTS from them, and refuses a
// statement for want of a privilege (privileges.go).

// grant is one privilege on one object to one role.
type grant struct {
	created   time.Time
	privilege string // SELECT, INSERT, OWNERSHIP, USAGE, CREATE SCHEMA, ...
	on        string // ACCOUNT, DATABASE, SCHEMA, TABLE, VIEW, WAREHOUSE, ROLE
	name      string // canonical: DB, DB.SCHEMA, DB.SCHEMA.TABLE, a role or warehouse
	role      string // the grantee
	grantedBy string
}

// futureGrant is a privilege that tables created later in a schema or database get.
type futureGrant struct {
	privilege string
	on        string // TABLE, SCHEMA
	in        string // canonical schema (DB.SCHEMA) or database
	role      string
}

// grantStore holds every grant of the account.
type grantStore struct {
	mu        sync.Mutex
	grants    []grant
	future    []futureGrant
	roles     map[string]bool     // roles that exist
	userRoles map[string][]string // user -> roles granted to it
}

func newGrantStore() *grantStore {
	roles := map[string]bool{}
	for _, r := range systemRoles { // the roles every account has
		roles[r] = true
	}
	return &grantStore{roles: roles, userRoles: map[string][]string{}}
}

// systemRoles exist on every account.
var systemRoles = []string{"ACCOUNTADMIN", "SECURITYADMIN", "USERADMIN", "SYSADMIN", "PUBLIC"}

// add grants a privilege unless the role already has it. OWNERSHIP moves: an
// object has one owner.
func (g *grantStore) add(gr grant) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.addLocked(gr)
}

func (g *grantStore) addLocked(gr grant) {
	if gr.privilege == "OWNERSHIP" {
		g.grants = slices.DeleteFunc(g.grants, func(x grant) bool {
			return x.privilege == "OWNERSHIP" && x.on == gr.on && x.name == gr.name && x.role != gr.role
		})
	}
	for _, x := range g.grants {
		if x.privilege == gr.privilege && x.on == gr.on && x.name == gr.name && x.role == gr.role {
			return
		}
	}
	if gr.created.IsZero() {
		gr.created = time.Now()
	}
	g.grants = append(g.grants, gr)
}

// revoke removes the grants matching privilege, object and role.
func (g *grantStore) revoke(privilege, on, name, role string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.grants = slices.DeleteFunc(g.grants, func(x grant) bool {
		return (privilege == "ALL" || x.privilege == privilege) && x.on == on && x.name == name && x.role == role
	})
}

// createTable records a new table: grants of the object it replaces are dropped,
// or kept but for OWNERSHIP with COPY GRANTS; without COPY GRANTS the schema's
// and database's future grants apply; the creating role owns it.
func (g *grantStore) createTable(name, owner string, copyGrants bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.grants = slices.DeleteFunc(g.grants, func(x grant) bool {
		return isTable(x.on) && x.name == name && (!copyGrants || x.privilege == "OWNERSHIP")
	})
	if !copyGrants {
		// Schema-level future grants, if the schema has any for tables, take
		// precedence over the database's, which are then ignored.
		schema := parentOf(name)
		in := parentOf(schema)
		if slices.ContainsFunc(g.future, func(f futureGrant) bool { return f.on == "TABLE" && f.in == schema }) {
			in = schema
		}
		for _, f := range g.future {
			if f.on == "TABLE" && f.in == in {
				g.addLocked(grant{privilege: f.privilege, on: "TABLE", name: name, role: f.role, grantedBy: "SYSADMIN"})
			}
		}
	}
	g.addLocked(grant{privilege: "OWNERSHIP", on: "TABLE", name: name, role: owner, grantedBy: owner})
}

// createSchema records a new schema: its owner, and the database's future
// grants on schemas.
func (g *grantStore) createSchema(name, owner string) {
	g.own("SCHEMA", name, owner)
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, f := range g.future {
		if f.on == "SCHEMA" && f.in == parentOf(name) {
			g.addLocked(grant{privilege: f.privilege, on: "SCHEMA", name: name, role: f.role, grantedBy: "SYSADMIN"})
		}
	}
}

// own records a role's ownership of a new database or schema, unless it has an owner.
func (g *grantStore) own(on, name, owner string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, x := range g.grants {
		if x.on == on && x.name == name && x.privilege == "OWNERSHIP" {
			return
		}
	}
	g.addLocked(grant{privilege: "OWNERSHIP", on: on, name: name, role: owner, grantedBy: owner})
}

// swap exchanges the grants of two tables, as ALTER TABLE ... SWAP WITH does.
func (g *grantStore) swap(a, b string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range g.grants {
		switch x := &g.grants[i]; {
		case isTable(x.on) && x.name == a:
			x.name = b
		case isTable(x.on) && x.name == b:
			x.name = a
		}
	}
}

// rename moves a table's grants to its new name.
func (g *grantStore) rename(from, to string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.grants = slices.DeleteFunc(g.grants, func(x grant) bool { return isTable(x.on) && x.name == to })
	for i := range g.grants {
		if x := &g.grants[i]; isTable(x.on) && x.name == from {
			x.name = to
		}
	}
}

// drop ends the grants on an object and, for a database or schema, on every
// object in it.
func (g *grantStore) drop(on, name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.grants = slices.DeleteFunc(g.grants, func(x grant) bool {
		switch {
		case x.name == name:
			return x.on == on || isTable(x.on) && isTable(on)
		case on == "DATABASE" || on == "SCHEMA": // and everything in it
			return x.on != "ROLE" && x.on != "ACCOUNT" && x.on != "WAREHOUSE" && strings.HasPrefix(x.name, name+".")
		}
		return false
	})
	if on == "DATABASE" || on == "SCHEMA" {
		g.future = slices.DeleteFunc(g.future, func(f futureGrant) bool { return f.in == name || strings.HasPrefix(f.in, name+".") })
	}
}

// cloneDatabase gives the clone's child objects their sources' grants; the
// clone itself gets only its owner's.
func (g *grantStore) cloneDatabase(src, dst, owner string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, x := range slices.Clone(g.grants) {
		if x.on != "ROLE" && strings.HasPrefix(x.name, src+".") {
			x.name = dst + strings.TrimPrefix(x.name, src)
			x.created = time.Time{}
			g.addLocked(x)
		}
	}
	g.addLocked(grant{privilege: "OWNERSHIP", on: "DATABASE", name: dst, role: owner, grantedBy: owner})
}

// addFuture records a future grant.
func (g *grantStore) addFuture(f futureGrant) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !slices.Contains(g.future, f) {
		g.future = append(g.future, f)
	}
}

// toRole returns the grants to a role, in the order they were made.
func (g *grantStore) toRole(role string) []grant {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []grant
	for _, x := range g.grants {
		if x.role == role {
			out = append(out, x)
		}
	}
	return out
}

// onObject returns the grants on an object.
func (g *grantStore) onObject(on, name string) []grant {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []grant
	for _, x := range g.grants {
		if (x.on == on || isTable(x.on) && isTable(on)) && x.name == name {
			out = append(out, x)
		}
	}
	return out
}

func isTable(on string) bool { return on == "TABLE" || on == "VIEW" }

// parentOf returns DB.SCHEMA of DB.SCHEMA.TABLE, or DB of DB.SCHEMA.
func parentOf(name string) string {
	if i := strings.LastIndex(name, "."); i > 0 {
		return name[:i]
	}
	return ""
}
