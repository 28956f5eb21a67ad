package sfserver

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Statements about users, roles and grants: CREATE ROLE, CREATE/ALTER USER
// (RSA_PUBLIC_KEY, DEFAULT_ROLE), USE ROLE, GRANT and REVOKE, SHOW GRANTS,
// CREATE WAREHOUSE (accepted; the double has no compute), CURRENT_ROLE().

const privList = `([A-Za-z_ ,]+?)`

var (
	reCreateRole    = regexp.MustCompile(`(?is)^CREATE\s+(?:OR\s+REPLACE\s+)?ROLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(` + ident + `)(?:\s+COMMENT\s*=\s*'(?:[^']|'')*')?$`)
	reCreateUser    = regexp.MustCompile(`(?is)^CREATE\s+(?:OR\s+REPLACE\s+)?USER\s+(?:IF\s+NOT\s+EXISTS\s+)?(` + ident + `)(\s.*)?$`)
	reAlterUser     = regexp.MustCompile(`(?is)^ALTER\s+USER\s+(?:IF\s+EXISTS\s+)?(` + ident + `)\s+(SET|UNSET)\s+(.*)$`)
	reUserProp      = regexp.MustCompile(`(?is)([A-Z_0-9]+)\s*=\s*('(?:[^']|'')*'|[^\s]+)`)
	reCreateWH      = regexp.MustCompile(`(?is)^CREATE\s+(?:OR\s+REPLACE\s+)?WAREHOUSE\s+(?:IF\s+NOT\s+EXISTS\s+)?` + ident + `(\s.*)?$`)
	reUseRole       = regexp.MustCompile(`(?is)^USE\s+ROLE\s+(` + ident + `)$`)
	reGrantRole     = regexp.MustCompile(`(?is)^(GRANT|REVOKE)\s+ROLE\s+(` + ident + `)\s+(?:TO|FROM)\s+(ROLE|USER)\s+(` + ident + `)$`)
	reGrant         = regexp.MustCompile(`(?is)^(GRANT|REVOKE)\s+` + privList + `\s+ON\s+(.+?)\s+(?:TO|FROM)\s+ROLE\s+(` + ident + `)(?:\s+WITH\s+GRANT\s+OPTION|\s+(?:COPY|REVOKE)\s+CURRENT\s+GRANTS)?$`)
	reOnAllOrFuture = regexp.MustCompile(`(?is)^(ALL|FUTURE)\s+(TABLES|SCHEMAS|VIEWS)\s+IN\s+(SCHEMA|DATABASE)\s+(` + qname + `)$`)
	reOnObject      = regexp.MustCompile(`(?is)^(DATABASE|SCHEMA|TABLE|VIEW|WAREHOUSE)\s+(` + qname + `)$`)
	reShowGrantsTo  = regexp.MustCompile(`(?is)^SHOW\s+GRANTS\s+TO\s+(ROLE|USER)\s+(` + ident + `)$`)
	reShowGrantsOn  = regexp.MustCompile(`(?is)^SHOW\s+GRANTS\s+ON\s+(ACCOUNT|DATABASE|SCHEMA|TABLE|VIEW|WAREHOUSE)(?:\s+(` + qname + `))?$`)
	reShowFuture    = regexp.MustCompile(`(?is)^SHOW\s+FUTURE\s+GRANTS\s+IN\s+(SCHEMA|DATABASE)\s+(` + qname + `)$`)
	reCurrent       = regexp.MustCompile(`(?is)^SELECT\s+CURRENT_(ROLE|USER|ACCOUNT)\(\)$`)
)

// runAccess runs a statement about access, if stmt is one.
func (s *Server) runAccess(ctx context.Context, sess *session, stmt string) (*queryData, bool, error) {
	ok := func(d *queryData, err error) (*queryData, bool, error) { return d, true, err }
	switch {
	case reCreateRole.MatchString(stmt):
		s.grants.mu.Lock()
		s.grants.roles[canon(reCreateRole.FindStringSubmatch(stmt)[1])] = true
		s.grants.mu.Unlock()
		return ok(status("Statement executed successfully."), nil)
	case reCreateWH.MatchString(stmt):
		return ok(status("Statement executed successfully."), nil)
	case reCreateUser.MatchString(stmt):
		m := reCreateUser.FindStringSubmatch(stmt)
		return ok(s.setUser(m[1], "SET", m[2]))
	case reAlterUser.MatchString(stmt):
		m := reAlterUser.FindStringSubmatch(stmt)
		s.mu.Lock()
		known := s.users[canon(m[1])] != nil
		s.mu.Unlock()
		if !known {
			return ok(nil, notExist("User", canon(m[1])))
		}
		return ok(s.setUser(m[1], strings.ToUpper(m[2]), m[3]))
	case reUseRole.MatchString(stmt):
		role := canon(reUseRole.FindStringSubmatch(stmt)[1])
		if !s.grants.roleExists(role) {
			return ok(nil, notExist("Role", role))
		}
		sess.role = role
		return ok(status("Statement executed successfully."), nil)
	case reGrantRole.MatchString(stmt):
		m := reGrantRole.FindStringSubmatch(stmt)
		return ok(s.grantRole(sess, strings.ToUpper(m[1]) == "GRANT", canon(m[2]), strings.ToUpper(m[3]), canon(m[4])))
	case reGrant.MatchString(stmt):
		m := reGrant.FindStringSubmatch(stmt)
		return ok(s.grantPrivileges(ctx, sess, strings.ToUpper(m[1]) == "GRANT", privileges(m[2]), strings.TrimSpace(m[3]), canon(m[4])))
	case reShowGrantsTo.MatchString(stmt):
		m := reShowGrantsTo.FindStringSubmatch(stmt)
		if strings.EqualFold(m[1], "USER") {
			return ok(s.showUserRoles(canon(m[2])), nil)
		}
		return ok(showGrants(s.grants.toRole(canon(m[2]))), nil)
	case reShowGrantsOn.MatchString(stmt):
		m := reShowGrantsOn.FindStringSubmatch(stmt)
		on := strings.ToUpper(m[1])
		return ok(showGrants(s.grants.onObject(on, qualify(sess, on, m[2]))), nil)
	case reShowFuture.MatchString(stmt):
		m := reShowFuture.FindStringSubmatch(stmt)
		return ok(s.showFuture(qualify(sess, strings.ToUpper(m[1]), m[2])), nil)
	case reCurrent.MatchString(stmt):
		var v string
		switch strings.ToUpper(reCurrent.FindStringSubmatch(stmt)[1]) {
		case "ROLE":
			v = sess.role
		case "USER":
			v = sess.user
		default:
			v = s.account()
		}
		name := "CURRENT_" + strings.ToUpper(reCurrent.FindStringSubmatch(stmt)[1]) + "()"
		return ok(&queryData{StatementTypeID: typeSelect, RowType: []rowType{{Name: name, Type: "text", Nullable: true, Length: 255}},
			RowSet: [][]*string{{str(v)}}}, nil)
	}
	return nil, false, nil
}

// setUser applies CREATE USER or ALTER USER ... SET/UNSET properties.
func (s *Server) setUser(name, verb, props string) (*queryData, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userFor(canon(name))
	if verb == "UNSET" {
		for _, p := range strings.Split(props, ",") {
			switch strings.ToUpper(strings.TrimSpace(p)) {
			case "RSA_PUBLIC_KEY":
				u.keys[0] = nil
			case "RSA_PUBLIC_KEY_2":
				u.keys[1] = nil
			}
		}
		return status("Statement executed successfully."), nil
	}
	for _, m := range reUserProp.FindAllStringSubmatch(props, -1) {
		v := strings.ReplaceAll(strings.Trim(m[2], "'"), "''", "'")
		switch strings.ToUpper(m[1]) {
		case "RSA_PUBLIC_KEY", "RSA_PUBLIC_KEY_2":
			k, err := parsePublicKey(v)
			if err != nil {
				return nil, &sqlError{code: "002041", state: stateSyntax, msg: "Invalid RSA public key: " + err.Error()}
			}
			slot := 0
			if strings.HasSuffix(strings.ToUpper(m[1]), "_2") {
				slot = 1
			}
			u.keys[slot] = k
		case "PASSWORD":
			u.password = v
		case "DEFAULT_ROLE":
			u.defaultRole = canon(v)
		}
	}
	return status("Statement executed successfully."), nil
}

// roleAtLogin is the session's role: the one the login names, else the
// user's default role, else PUBLIC.
func (s *Server) roleAtLogin(name, role string) string {
	if role != "" {
		return canon(role)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[strings.ToUpper(name)]; u != nil && u.defaultRole != "" {
		return u.defaultRole
	}
	return "PUBLIC"
}

func (g *grantStore) roleExists(role string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.roles[role]
}

// grantRole grants a role to a role (USAGE on ROLE, as SHOW GRANTS lists it) or to a user.
func (s *Server) grantRole(sess *session, give bool, role, kind, to string) (*queryData, error) {
	if !s.grants.roleExists(role) {
		return nil, notExist("Role", role)
	}
	if kind == "USER" {
		s.grants.mu.Lock()
		roles := s.grants.userRoles[to]
		if give && !containsFold(roles, role) {
			s.grants.userRoles[to] = append(roles, role)
		} else if !give {
			s.grants.userRoles[to] = deleteFold(roles, role)
		}
		s.grants.mu.Unlock()
		return status("Statement executed successfully."), nil
	}
	if !s.grants.roleExists(to) {
		return nil, notExist("Role", to)
	}
	if give {
		s.grants.add(grant{privilege: "USAGE", on: "ROLE", name: role, role: to, grantedBy: sess.role})
	} else {
		s.grants.revoke("USAGE", "ROLE", role, to)
	}
	return status("Statement executed successfully."), nil
}

// grantPrivileges runs GRANT or REVOKE of privileges on an object, on ALL
// objects in a container (those that exist now) or on FUTURE ones.
func (s *Server) grantPrivileges(ctx context.Context, sess *session, give bool, privs []string, target, role string) (*queryData, error) {
	if !s.grants.roleExists(role) {
		return nil, notExist("Role", role)
	}
	var objects [][2]string // kind, canonical name
	switch {
	case strings.EqualFold(target, "ACCOUNT"):
		objects = [][2]string{{"ACCOUNT", s.account()}}
	case reOnAllOrFuture.MatchString(target):
		m := reOnAllOrFuture.FindStringSubmatch(target)
		kind := strings.TrimSuffix(strings.ToUpper(m[2]), "S")
		in := qualify(sess, strings.ToUpper(m[3]), m[4])
		if strings.EqualFold(m[1], "FUTURE") {
			for _, p := range privs {
				f := futureGrant{privilege: p, on: kind, in: in, role: role}
				if give {
					s.grants.addFuture(f)
				} else {
					s.grants.mu.Lock()
					s.grants.future = deleteFuture(s.grants.future, f)
					s.grants.mu.Unlock()
				}
			}
			return status("Statement executed successfully."), nil
		}
		names, err := s.objectsIn(ctx, sess, kind, in)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			objects = append(objects, [2]string{kind, n})
		}
	case reOnObject.MatchString(target):
		m := reOnObject.FindStringSubmatch(target)
		kind := strings.ToUpper(m[1])
		objects = [][2]string{{kind, qualify(sess, kind, m[2])}}
	default:
		return nil, &sqlError{code: codeSyntax, state: stateSyntax,
			msg: fmt.Sprintf("SQL compilation error: the local Snowflake test double does not support grants ON %.80s", target)}
	}
	for _, o := range objects {
		for _, p := range privs {
			if give {
				s.grants.add(grant{privilege: p, on: o[0], name: o[1], role: role, grantedBy: sess.role})
			} else {
				s.grants.revoke(p, o[0], o[1], role)
			}
		}
	}
	return status("Statement executed successfully."), nil
}

// objectsIn lists the tables or schemas in a schema or database, as canonical names.
func (s *Server) objectsIn(ctx context.Context, sess *session, kind, in string) ([]string, error) {
	parts := strings.Split(in, ".")
	if err := s.attach(ctx, parts[0]); err != nil {
		return nil, err
	}
	q := `SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = ? AND (? = '' OR schema_name = ?) ORDER BY 1`
	if kind == "SCHEMA" {
		q = `SELECT schema_name FROM duckdb_schemas() WHERE database_name = ? AND (? = '' OR schema_name = ?) AND schema_name NOT IN ('main', 'information_schema', 'pg_catalog') ORDER BY 1`
	}
	schema := ""
	if len(parts) == 2 {
		schema = parts[1]
	}
	rows, err := sess.conn.QueryContext(ctx, q, parts[0], schema, schema)
	if err != nil {
		return nil, execError(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, execError(err)
		}
		out = append(out, parts[0]+"."+n)
	}
	return out, rows.Err()
}

// showGrants answers SHOW GRANTS TO ROLE / ON with a real account's columns.
func showGrants(gs []grant) *queryData {
	d := &queryData{StatementTypeID: typeSelect, RowType: []rowType{
		{Name: "created_on", Type: "timestamp_ltz", Nullable: true, Scale: 9},
		{Name: "privilege", Type: "text", Nullable: true, Length: 255},
		{Name: "granted_on", Type: "text", Nullable: true, Length: 255},
		{Name: "name", Type: "text", Nullable: true, Length: 255},
		{Name: "granted_to", Type: "text", Nullable: true, Length: 255},
		{Name: "grantee_name", Type: "text", Nullable: true, Length: 255},
		{Name: "grant_option", Type: "text", Nullable: true, Length: 255},
		{Name: "granted_by", Type: "text", Nullable: true, Length: 255},
	}}
	for _, g := range gs {
		d.RowSet = append(d.RowSet, []*string{str(fmt.Sprintf("%d.%09d", g.created.Unix(), g.created.Nanosecond())),
			str(g.privilege), str(g.on), str(g.name), str("ROLE"), str(g.role), str("false"), str(g.grantedBy)})
	}
	return d
}

// showUserRoles answers SHOW GRANTS TO USER: the roles granted to the user.
func (s *Server) showUserRoles(name string) *queryData {
	d := &queryData{StatementTypeID: typeSelect, RowType: []rowType{
		{Name: "created_on", Type: "timestamp_ltz", Nullable: true, Scale: 9},
		{Name: "role", Type: "text", Nullable: true, Length: 255},
		{Name: "granted_to", Type: "text", Nullable: true, Length: 255},
		{Name: "grantee_name", Type: "text", Nullable: true, Length: 255},
		{Name: "granted_by", Type: "text", Nullable: true, Length: 255},
	}}
	s.grants.mu.Lock()
	defer s.grants.mu.Unlock()
	for _, r := range s.grants.userRoles[name] {
		d.RowSet = append(d.RowSet, []*string{nil, str(r), str("USER"), str(name), str("")})
	}
	return d
}

// showFuture answers SHOW FUTURE GRANTS IN SCHEMA/DATABASE.
func (s *Server) showFuture(in string) *queryData {
	d := &queryData{StatementTypeID: typeSelect, RowType: []rowType{
		{Name: "created_on", Type: "timestamp_ltz", Nullable: true, Scale: 9},
		{Name: "privilege", Type: "text", Nullable: true, Length: 255},
		{Name: "grant_on", Type: "text", Nullable: true, Length: 255},
		{Name: "name", Type: "text", Nullable: true, Length: 255},
		{Name: "grant_to", Type: "text", Nullable: true, Length: 255},
		{Name: "grantee_name", Type: "text", Nullable: true, Length: 255},
		{Name: "grant_option", Type: "text", Nullable: true, Length: 255},
	}}
	s.grants.mu.Lock()
	defer s.grants.mu.Unlock()
	for _, f := range s.grants.future {
		if f.in == in {
			d.RowSet = append(d.RowSet, []*string{nil, str(f.privilege), str(f.on), str(f.in + ".<" + f.on + ">"),
				str("ROLE"), str(f.role), str("false")})
		}
	}
	return d
}

// privileges splits "SELECT, INSERT" or "ALL PRIVILEGES" into upper-case privileges.
func privileges(list string) []string {
	var out []string
	for _, p := range strings.Split(list, ",") {
		p = strings.Join(strings.Fields(strings.ToUpper(p)), " ")
		if p == "ALL PRIVILEGES" {
			p = "ALL"
		}
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// canon is a name as Snowflake resolves it: unquoted parts upper-cased,
// quoted ones kept as written.
func canon(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if strings.HasPrefix(p, `"`) {
			parts[i] = strings.Trim(p, `"`)
		} else {
			parts[i] = strings.ToUpper(p)
		}
	}
	return strings.Join(parts, ".")
}

// qualify completes a partial name of an object of the kind with the session's
// current database and schema.
func qualify(sess *session, kind, name string) string {
	n := canon(name)
	want := map[string]int{"DATABASE": 1, "SCHEMA": 2, "TABLE": 3, "VIEW": 3}[kind]
	parts := strings.Split(n, ".")
	switch {
	case want == 3 && len(parts) == 1:
		return sess.database + "." + sess.schema + "." + n
	case want == 3 && len(parts) == 2, want == 2 && len(parts) == 1:
		return sess.database + "." + n
	}
	return n
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

func deleteFold(list []string, s string) []string {
	return slices.DeleteFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

func deleteFuture(list []futureGrant, f futureGrant) []futureGrant {
	return slices.DeleteFunc(list, func(x futureGrant) bool {
		return x.on == f.on && x.in == f.in && x.role == f.role && (f.privilege == "ALL" || x.privilege == f.privilege)
	})
}
