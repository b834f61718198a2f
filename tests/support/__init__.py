"""Helpers and fixtures that tests in more than one package use.

Test modules and conftests import from here, never from each other: a test
module stays free to change without breaking another package's tests.
"""
