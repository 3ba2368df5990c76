"""Signing operators in and out of the console."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
