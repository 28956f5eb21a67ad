package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// DeriveCodeVersion returns the code version a materialization records: a hash
// of the asset's own version (user-set, or derived such as NormalizeSQL's
// output for a SQL asset) and of its decoded config, so a change to either
// makes the asset "changed". An asset with no version of its own gets "", which
// `--select changed` always treats as changed: nothing tells that it is not.
func DeriveCodeVersion(version string, config any) string {
	if version == "" {
		return ""
	}
	h := sha256.New()
	h.Write([]byte(version))
	h.Write([]byte{0})
	if config != nil {
		b, err := json.Marshal(config)
		if err != nil {
			b = []byte(err.Error())
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// NormalizeSQL is the hook a SQL asset derives its code version from: the SQL
// without comments, with whitespace outside quotes collapsed to one space and
// no trailing semicolon, so reformatting a query does not make its asset
// "changed" while any change to its text, literals included, does.
func NormalizeSQL(sql string) string {
	var b strings.Builder
	b.WriteString("sql:")
	space := false
	for i := 0; i < len(sql); i++ {
		ch := sql[i]
		switch {
		case ch == '\'' || ch == '"': // copy a literal or quoted identifier whole
			j := i + 1
			for j < len(sql) {
				if sql[j] == ch {
					if j+1 < len(sql) && sql[j+1] == ch { // doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			j = min(j, len(sql)-1)
			if space && b.Len() > 4 {
				b.WriteByte(' ')
			}
			b.WriteString(sql[i : j+1])
			space, i = false, j
			continue
		case ch == '-' && i+1 < len(sql) && sql[i+1] == '-':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
			space = true
			continue
		case ch == '/' && i+1 < len(sql) && sql[i+1] == '*':
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				i = len(sql)
			} else {
				i += 2 + end + 1
			}
			space = true
			continue
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			space = true
			continue
		}
		if space && b.Len() > 4 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteByte(ch)
	}
	return strings.TrimRight(strings.TrimSuffix(strings.TrimRight(b.String(), " "), ";"), " ")
}

// CodeVersions returns the code version each asset would record when
// materialized with the run config rc (defaults applied), by asset name.
func (c *Catalog) CodeVersions(rc RunConfig) (map[string]string, error) {
	out := make(map[string]string, len(c.assets.nodes))
	errs := &ValidationErrors{}
	for _, n := range c.assets.nodes {
		var cfg any
		if n.config != nil {
			var err error
			if cfg, err = n.config.Decode(rc[n.name]); err != nil {
				errs.add(ProblemConfig, "asset "+n.name, "", err.Error())
				continue
			}
		}
		out[n.name] = DeriveCodeVersion(n.codeVersion, cfg)
	}
	return out, errs.orNil()
}
