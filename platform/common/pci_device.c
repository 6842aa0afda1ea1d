/* pci_device.c - CupPciDevice, shared by every platform backend. */
#include "platform/platform.h"

void cup_pci_device_free(CupPciDevice *dev)
{
  if (dev == NULL)
    return;
  g_free(dev->bus_id);
  g_free(dev);
}
