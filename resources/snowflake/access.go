package snowflake

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// Grant is one privilege a role holds, as SHOW GRANTS lists it.
type Grant struct {
	Privilege string // SELECT, INSERT, OWNERSHIP, USAGE, ...
	GrantedOn string // ACCOUNT, DATABASE, SCHEMA, TABLE, ROLE, ...
	Name      string // the object
	Role      string // the role that holds it: the session's or one it inherits
}

func (g Grant) String() string {
	return fmt.Sprintf("%s on %s %s (held by role %s)", g.Privilege, g.GrantedOn, g.Name, g.Role)
}

// Access is what the signed-in session may do to a database.
type Access struct {
	User, Role string
	Roles      []string // the session's role, the roles it inherits and the user's other roles
	Writes     []Grant  // grants that let it change the database
	Notes      []string // what could not be checked, and why
}

// readOnly are the privileges on a database's objects that change nothing.
var readOnly = []string{"USAGE", "MONITOR", "SELECT", "REFERENCES", "REFERENCE_USAGE", "READ"}

// accountWide are account privileges that can take any database: a role with
// MANAGE GRANTS can grant itself anything.
var accountWide = []string{"MANAGE GRANTS", "OWNERSHIP", "ALL"}

// systemRoles own or can take every object of an account.
var systemRoles = []string{"ACCOUNTADMIN", "SECURITYADMIN", "SYSADMIN", "ORGADMIN"}

// maxRoles bounds the role hierarchy walked.
const maxRoles = 1000

// WriteAccess reads, from SHOW GRANTS, every privilege by which the session
// could change database (or objects in it, or its future tables in schema):
// through its role, the roles that role inherits, and the user's other roles
// (which secondary roles may bring into a session). A role may only read what
// it needs to clone: USAGE, SELECT and the like.
func (w *Warehouse) WriteAccess(ctx context.Context, database, schema string) (Access, error) {
	var a Access
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return a, err
	}
	defer conn.Close()
	if err := conn.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&a.User); err != nil {
		return a, fmt.Errorf("current user: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT CURRENT_ROLE()").Scan(&a.Role); err != nil {
		return a, fmt.Errorf("current role: %w", err)
	}
	queue := []string{a.Role}
	if rows, err := showRows(ctx, conn, "SHOW GRANTS TO USER "+quoteName(a.User)); err == nil {
		for _, r := range rows {
			queue = append(queue, r["role"])
		}
	} else {
		a.Notes = append(a.Notes, "the user's other roles were not checked: "+err.Error())
	}
	seen := map[string]bool{}
	for len(queue) > 0 && len(seen) < maxRoles {
		role := queue[0]
		queue = queue[1:]
		if role == "" || seen[strings.ToUpper(role)] {
			continue
		}
		seen[strings.ToUpper(role)] = true
		a.Roles = append(a.Roles, role)
		if slices.Contains(systemRoles, strings.ToUpper(role)) {
			a.Writes = append(a.Writes, Grant{Privilege: "every privilege", GrantedOn: "ACCOUNT", Name: "(system role)", Role: role})
		}
		rows, err := showRows(ctx, conn, "SHOW GRANTS TO ROLE "+quoteName(role))
		if err != nil {
			return a, fmt.Errorf("grants of role %s: %w", role, err)
		}
		for _, r := range rows {
			g := Grant{Privilege: strings.ToUpper(r["privilege"]), GrantedOn: strings.ToUpper(r["granted_on"]), Name: r["name"], Role: role}
			switch {
			case g.GrantedOn == "ROLE" || g.GrantedOn == "DATABASE_ROLE":
				queue = append(queue, g.Name)
			case g.GrantedOn == "ACCOUNT":
				if slices.Contains(accountWide, g.Privilege) {
					a.Writes = append(a.Writes, g)
				}
			case inDatabase(g.Name, database) && !slices.Contains(readOnly, g.Privilege):
				a.Writes = append(a.Writes, g)
			}
		}
	}
	for _, in := range []string{"DATABASE " + quoteName(database), "SCHEMA " + quoteName(database) + "." + quoteName(schema)} {
		rows, err := showRows(ctx, conn, "SHOW FUTURE GRANTS IN "+in)
		if err != nil {
			a.Notes = append(a.Notes, "future grants in "+in+" were not checked: "+err.Error())
			continue
		}
		for _, r := range rows {
			g := Grant{Privilege: strings.ToUpper(r["privilege"]), GrantedOn: "FUTURE " + strings.ToUpper(r["grant_on"]), Name: r["name"], Role: r["grantee_name"]}
			if seen[strings.ToUpper(g.Role)] && !slices.Contains(readOnly, g.Privilege) {
				a.Writes = append(a.Writes, g)
			}
		}
	}
	return a, nil
}

// inDatabase reports whether an object name from SHOW GRANTS is the database
// or lies in it.
func inDatabase(name, database string) bool {
	first, _, _ := strings.Cut(name, ".")
	first = strings.Trim(first, `"`)
	return strings.EqualFold(first, database)
}

// quoteName quotes a name read back from the account for a SHOW statement.
func quoteName(n string) string { return `"` + strings.ReplaceAll(n, `"`, `""`) + `"` }

// showRows runs a SHOW statement and returns its rows as column -> text.
func showRows(ctx context.Context, conn *sql.Conn, stmt string) ([]map[string]string, error) {
	rows, err := conn.QueryContext(ctx, stmt)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make(map[string]string, len(cols))
		for i, c := range cols {
			row[strings.ToLower(c)] = vals[i].String
		}
		out = append(out, row)
	}
	return out, rows.Err()
}
