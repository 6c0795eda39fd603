import sys

from kindred.bench.run import main

sys.exit(main())
