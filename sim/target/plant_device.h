/* plant_device: the plant wired to the tty devices of a target map (plant_wiring.h). */
#ifndef SIM_PLANT_DEVICE_H
#define SIM_PLANT_DEVICE_H
#include "sim/scenario/plant_wiring.h"

extern const plant_wiring plant_device;
#endif
