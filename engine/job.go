package engine

// Job binds work to the environment's resources: either a Graph of ops or a
// Selection of assets.
type Job struct {
	Name        string
	Description string
	Graph       *Graph
	Selection   string // asset selection syntax, e.g. "items+"; used when Graph is nil
	// Envs lists the environments the job exists in; empty means every one.
	Envs []string
}

// availableIn reports whether the job is defined in env.
func (j *Job) availableIn(env string) bool {
	if len(j.Envs) == 0 {
		return true
	}
	for _, e := range j.Envs {
		if e == env {
			return true
		}
	}
	return false
}
