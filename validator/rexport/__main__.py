"""`python -m rexport`: the same as the `rexport` command."""

from rexport.cli import main

# guarded: a worker process of --executor local:N imports this module again, as __mp_main__
if __name__ == "__main__":
    main()
