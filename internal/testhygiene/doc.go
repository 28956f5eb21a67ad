// Package testhygiene holds tests about the project's tests themselves, such
// as that none asserts an upper bound on elapsed time.
package testhygiene
