package snowflake

import (
	"context"
	"errors"

	sf "github.com/snowflakedb/gosnowflake"
)

// A session's token expires. The driver renews it by itself when a request is
// answered 390112 (gosnowflake v1.12.0 restful.go: renewRestfulSession, with
// the master token). When the master token has expired too, the renewal is
// answered 390114 and the driver returns that error; v1.12.0 does nothing else
// with it, and the connection, back in the pool, fails every later statement
// the same way. So the backend signs in again: it closes the pooled sessions
// and runs the operation once more on a new one.

// Error numbers that say a session cannot go on and a new sign-in is needed.
const (
	errSessionGone   = 390111 // the session no longer exists
	errSessionExpiry = 390112 // the session token expired and could not be renewed
	errMasterExpiry  = 390114 // the master token expired: sign in again
)

// defaultIdleSessions is database/sql's default number of idle connections.
const defaultIdleSessions = 2

// sessionGone reports whether err means the session must be replaced by a new sign-in.
func sessionGone(err error) bool {
	var se *sf.SnowflakeError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Number {
	case errSessionGone, errSessionExpiry, errMasterExpiry:
		return true
	}
	return false
}

// retryGone runs op, and if it failed because its session is gone, closes the
// pooled sessions and runs it once more on a new sign-in. op must be safe to
// run twice: every operation of the backend is (writes replace the table in
// their last statement; a statement answered 390112/390114 never ran).
func (w *Warehouse) retryGone(ctx context.Context, op func() error) error {
	err := op()
	if !sessionGone(err) || ctx.Err() != nil {
		return err
	}
	w.resignIns.Add(1)
	w.db.SetMaxIdleConns(0) // closes the idle sessions, whose tokens are dead
	w.db.SetMaxIdleConns(defaultIdleSessions)
	return op()
}

// SignInsAgain counts the times the backend signed in again after a session
// could not be renewed.
func (w *Warehouse) SignInsAgain() int64 { return w.resignIns.Load() }
