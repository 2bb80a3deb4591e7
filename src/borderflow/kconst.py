"""Layout of the kernel's arrays: parameter slots, event rows, flags and work counters.

Kept apart from `borderflow.kernel` so that code which only fills or reads these arrays does not
import Numba (a process that runs the ahead-of-time compiled kernels never does).
"""

EARTH_RADIUS_KM = 6373.0  # Flee 3.1's Earth radius for great-circle distances

DOOMED = 1  # cohort flag bit: on a link that closed while they were on it (back to its start)

# Indices into the float parameter vector.
P_WEIGHT_SOFTENING = 0
P_SOFTENING = 1
P_DISTANCE_POWER = 2
P_WEIGHT_POWER = 3
P_WALK_SPEED = 4
P_CAPACITY_BUFFER = 5
P_CHAIN_SCALE = 6  # km used today are compared in units of 1/scale km; 0: exact floats
N_FPARAMS = 7
# Indices into the int parameter vector.
I_START_ON_FOOT = 0
I_BUDGET_MODE = 1
I_GROUPS = 2
N_IPARAMS = 3

# Rows of the daily event array ``ev[row, link]``.
EV_ATTEMPTS = 0
EV_ENTRIES = 1
EV_TURNBACKS = 2
EV_ARRIVALS = 3
N_EVENTS = 4

# Slots of the work counters ``stats`` (summed over days; they depend on the network and the
# number of non-empty groups, never on how many people a group holds).
S_CHAIN_ROUNDS = 0  # phases and capacity rounds in which chained hops were handled
S_CHAINED_GROUPS = 1  # groups handled in chained hops
S_COHORTS = 2  # cohorts moved along links
S_GROUPS = 3  # non-empty (state, class) groups that drew departures
