from cigen.cli import main

code = main()
# Under `python -m`, CPython ends the process with SIGINT instead of this exit code when a Ctrl-C
# ever ended an exec() of a string (dataclasses make their methods so while cigen imports), even
# one cigen caught and reported. Each exec() of a string starts by clearing that mark, so this
# one makes `python -m cigen` exit 130 after "cigen: interrupted", as the `cigen` script does.
exec("")
raise SystemExit(code)
